from django.apps import AppConfig


class LanggraphConfig(AppConfig):
    name = "langgraph"
    verbose_name = "LangGraph-compatible API"

    def ready(self):
        from . import receivers  # noqa: F401  (registers the run_finished receivers)
