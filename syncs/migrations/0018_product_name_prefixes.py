"""Name search by the prefixes of the name's words, as whole terms of a full-text index.

"Every word typed must start a word of the name" was a prefix tsquery (`choc:*`) over the
unaccented name's words (migration 0010). GIN answers a prefix by collecting every entry that
starts with it into a bitmap before it can intersect anything, so three common words cost 66 ms
at 1,000,000 products. This index holds every prefix of every word instead ("crème" is c, cr,
cre, crem, creme), so a typed word is one whole term whose posting list GIN streams and
intersects: the same three words take 11 ms (BENCHMARKS.md, "Console pages").

`citrusadmin_name_prefixes(name)` folds the name as before (unaccent, then the 'simple'
configuration's lower case) and is IMMUTABLE so an index may use it; plpgsql, which computes it
four times faster than the same in SQL (12 µs a name). Its declared COST says it is dearer than
the unaccented tsvector (5 µs), which a walk in index order checks first. The index replaces
0010's. SQLite, the
demo's database, keeps matching folded substrings (syncs/selectors/products.py).
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION citrusadmin_name_prefixes(name text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE STRICT COST 250
AS $$
DECLARE
    word text;
    prefixes text[] := '{}';
BEGIN
    FOREACH word IN ARRAY tsvector_to_array(to_tsvector('simple', citrusadmin_unaccent(name)))
    LOOP
        FOR n IN 1..length(word) LOOP
            prefixes := prefixes || left(word, n);
        END LOOP;
    END LOOP;
    RETURN array_to_tsvector(prefixes);
END
$$
"""

INDEXES = [
    (
        "product_name_prefix_idx",
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS product_name_prefix_idx "
        "ON syncs_product USING gin (citrusadmin_name_prefixes(name))",
    ),
]
REPLACED = "product_name_unaccent_fts_idx"
REPLACED_SQL = (
    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {REPLACED} "
    "ON syncs_product USING gin (to_tsvector('simple', citrusadmin_unaccent(name)))"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION)
    for _name, sql in INDEXES:
        schema_editor.execute(sql)
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {REPLACED}")


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(REPLACED_SQL)
    for name, _sql in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    schema_editor.execute("DROP FUNCTION IF EXISTS citrusadmin_name_prefixes(text)")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("syncs", "0017_webhook_secrets_encrypted"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
