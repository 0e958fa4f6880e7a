from django.apps import AppConfig


class ThreadsConfig(AppConfig):
    name = "threads"
    verbose_name = "Conversations"

    def ready(self):
        from runs import hooks

        from . import services

        # A finished run of a thread frees it: the next queued run starts.
        hooks.on_run_finished(services.continue_thread, when=lambda execution: execution.thread_id is not None)
