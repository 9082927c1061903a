"""Indexes for the console's searches at 1,000,000 products and 100,000 sync batches.

PostgreSQL only (SQLite, the demo's database, keeps its plain b-tree on gtin and scans the rest):

- product names: a full-text GIN index, so "every word starts a word of the name" (a prefix
  tsquery) intersects posting lists instead of reading most of the table;
- product GTIN prefix: varchar_pattern_ops, so `gtin LIKE '123%'` uses an index whatever the
  database collation;
- sync batches by the keys they carried: GIN jsonb_path_ops for `keys @> '["X"]'`;
- the dashboard and the sync-state filter: a small partial index of every row not confirmed
  with its object id (counted fresh each poll; "products that failed" without the table),
  failed/unknown rows by time (recent failures), and batch times with their item counts (the
  24-hour chart, from the index alone).

They live outside the model state on purpose (expressions, operator classes, INCLUDE), so they
are created with SQL, concurrently, and the migration is not atomic.
"""

from django.db import migrations

INDEXES = [
    (
        "product_name_fts_idx",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS product_name_fts_idx "
        "ON syncs_product USING gin (to_tsvector('simple', name))",
    ),
    (
        "product_gtin_pattern_idx",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS product_gtin_pattern_idx "
        "ON syncs_product (gtin varchar_pattern_ops)",
    ),
    (
        "sync_batch_keys_idx",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS sync_batch_keys_idx "
        "ON syncs_syncbatch USING gin (keys jsonb_path_ops)",
    ),
    (
        "sync_state_failed_idx",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS sync_state_failed_idx "
        "ON syncs_syncstate (changed_at) WHERE status IN ('failed', 'unknown')",
    ),
    (
        "sync_state_unconfirmed_idx",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS sync_state_unconfirmed_idx "
        "ON syncs_syncstate (destination, kind, status, object_id) WHERE status <> 'confirmed'",
    ),
    (
        "sync_batch_created_items_idx",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS sync_batch_created_items_idx "
        "ON syncs_syncbatch (created_at) INCLUDE (item_count)",
    ),
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _name, sql in INDEXES:
        schema_editor.execute(sql)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _sql in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("syncs", "0004_import_jobs"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
