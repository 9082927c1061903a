"""Indexes for the lists' filters at scale (bench/pages.py, BENCHMARKS.md "Console pages").

PostgreSQL only, created concurrently like the console's other indexes (0005); SQLite, the demo's
database, scans:

- products stocked out (inventory 0), by id: the merchandiser's most used filter is a small share
  of a catalog, which the list and its count otherwise find by reading the table;
- customers by part of an email or name ("aino@", "@example.org", "Virtanen"): trigram indexes
  (`pg_trgm`, trusted since PostgreSQL 13 like `unaccent`) over the upper-cased columns, which is
  what Django's icontains compares;
- the audit log's contains-filters on the action and the user: statistics on the upper-cased
  columns, so the planner knows "restore" matches a third of the entries and walks the newest
  first instead of sorting every match.
"""

from django.db import migrations

INDEXES = [
    (
        "product_stocked_out_idx",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS product_stocked_out_idx "
        "ON syncs_product (id) WHERE inventory = 0",
    ),
    *(
        (
            f"customer_{column}_trgm_idx",
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS customer_{column}_trgm_idx "
            f"ON syncs_customer USING gin (upper({column}::text) gin_trgm_ops)",
        )
        for column in ("email", "first_name", "last_name")
    ),
]
STATISTICS = [
    (
        f"audit_{column}_upper_stats",
        f"CREATE STATISTICS IF NOT EXISTS audit_{column}_upper_stats "
        f"ON (upper({column}::text)) FROM syncs_auditevent",
    )
    for column in ("action", "actor_name")
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    for _name, sql in INDEXES + STATISTICS:
        schema_editor.execute(sql)
    schema_editor.execute("ANALYZE syncs_auditevent")


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _sql in STATISTICS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {name}")
    for name, _sql in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("syncs", "0015_unattended_feeds_alerts_stockouts"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
