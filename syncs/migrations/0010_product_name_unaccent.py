"""Name search that ignores accents and case: "creme" finds "Crème brûlée".

PostgreSQL: the `unaccent` extension (trusted since PostgreSQL 13, so the database owner may
create it), wrapped in an IMMUTABLE function so an index may use it, and the name's full-text
index rebuilt over the unaccented name (it replaces migration 0005's product_name_fts_idx; the
'simple' configuration already folds case). SQLite, the demo's database, registers a Python
function of the same name on every connection (syncs/search.py), so the query reads the same.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION citrusadmin_unaccent(text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
"""

INDEXES = [
    (
        "product_name_unaccent_fts_idx",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS product_name_unaccent_fts_idx "
        "ON syncs_product USING gin (to_tsvector('simple', citrusadmin_unaccent(name)))",
    ),
]
REPLACED = "product_name_fts_idx"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public")
    schema_editor.execute(FUNCTION)
    for _name, sql in INDEXES:
        schema_editor.execute(sql)
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {REPLACED}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {REPLACED} "
        "ON syncs_product USING gin (to_tsvector('simple', name))"
    )
    for name, _sql in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS citrusadmin_unaccent(text)")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("syncs", "0009_access_policy"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
