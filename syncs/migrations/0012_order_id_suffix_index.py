"""Orders found by their id without its prefix ("10023" for "ORD-10023").

PostgreSQL only: a b-tree over the reversed id with text_pattern_ops answers
`reverse(order_id) LIKE '32001%'` (ends with "10023") from the index; SQLite, the demo's
database, scans its few orders. Created concurrently, so the migration is not atomic.
"""

from django.db import migrations

INDEX = "order_id_reverse_idx"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} "
            "ON syncs_order (reverse(order_id) text_pattern_ops)"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("syncs", "0011_bulk_stock_actions"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
