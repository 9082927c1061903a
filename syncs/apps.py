from django.apps import AppConfig
from django.apps import apps as global_apps
from django.contrib.auth.signals import user_logged_in
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


def reference_data_ensure(*, apps=global_apps, **kwargs) -> None:
    """The rows the console cannot work without: the role groups and one row per destination.

    The data migrations create them; this runs after every `migrate` and every `flush` too (a
    flush empties every table, e.g. between transactional tests), so they are always there.
    `migrate` passes the migrated state's registry; `flush` passes none: the global one fits.
    """
    from syncs.roles import roles_ensure

    roles_ensure(apps)
    from syncs.destinations import destinations_all

    destination_model = apps.get_model("syncs", "Destination")
    for destination in destinations_all():
        destination_model.objects.get_or_create(name=destination.name)


class SyncsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "syncs"
    verbose_name = "CitrusAd and Custobar sync"

    def ready(self):
        # Runs after auth's own post_migrate handler, so the permissions exist by then.
        post_migrate.connect(reference_data_ensure, sender=self)
        # Decides at every login whether a second factor is still to come.
        from syncs.middleware import second_factor_on_login

        user_logged_in.connect(second_factor_on_login, dispatch_uid="second-factor-step")
        # SQLite (the demo) gets the accent-folding SQL function PostgreSQL has from a migration.
        from syncs.search import sqlite_functions_register

        connection_created.connect(sqlite_functions_register)
