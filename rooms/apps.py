from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "rooms"
    verbose_name = "Rooms"

    def ready(self):
        from runs import hooks

        from . import services

        # A room moves on when one of its turns ends: never from a loop held in memory.
        hooks.on_run_finished(services.turn_ended, when=lambda execution: execution.room_id is not None)
        # ...and the sweep takes in the end of a turn whose hook task was lost.
        hooks.on_sweep("rooms", services.sweep_rooms)
