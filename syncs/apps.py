from django.apps import AppConfig


class SyncsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "syncs"
    verbose_name = "CitrusAd and Custobar sync"

    def ready(self):
        # Celery's autodiscovery finds syncs/tasks.py only; the import task lives beside it.
        from syncs import import_tasks  # noqa: F401
