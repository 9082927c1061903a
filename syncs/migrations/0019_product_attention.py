"""The products whose CitrusAd push needs a person, beside what the product search filters on.

PostgreSQL only. "Failed" and "outcome unknown" are a small share of the products, but the search
combines them with name words and a catalog, which live in another table: proving which of the
10,000 failed products at 1,000,000 have "rye" in catalog 2 read each of them by its primary key
and recomputed its name's tsvector (150–250 ms). `syncs_product_attention` holds one row per
product in one of those two states, with its catalog and its name's prefixes (migration 0018),
so the three filters meet in one small table (10 ms; BENCHMARKS.md "Console pages").

Triggers on `syncs_syncstate` keep it, in the transaction that moves the state, so it is never
behind: a CitrusAd product state entering failed/unknown adds (or updates) the row, leaving them
or being deleted removes it, and truncating the states empties it. The name and catalog are
copied when the state fails; any later change of either bumps the product's version, which
makes the state pending and removes the row. The table is written only from these triggers,
after the state row is locked, so it adds no lock-order cycle with the writers of products.

SQLite, the demo's database, has neither table nor triggers: the search filters the sync states
directly there (syncs/selectors/products.py).
"""

from django.db import migrations

from syncs.destinations.citrusad import NAME as CITRUSAD

TABLE = "syncs_product_attention"
NEEDS_PERSON = "('failed', 'unknown')"
CITRUSAD_PRODUCT = f"{{row}}.destination = '{CITRUSAD}' AND {{row}}.kind = 'product'"

FORWARDS = [
    f"""
    CREATE TABLE {TABLE} (
        product_id bigint PRIMARY KEY,
        status varchar(12) NOT NULL,
        catalog_id bigint NOT NULL,
        name_search tsvector NOT NULL
    )
    """,
    f"CREATE INDEX product_attention_name_idx ON {TABLE} USING gin (name_search)",
    f"CREATE INDEX product_attention_status_idx ON {TABLE} (status, catalog_id)",
    f"""
    CREATE FUNCTION citrusadmin_product_attention() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE' THEN
            TRUNCATE {TABLE};
            RETURN NULL;
        END IF;
        IF TG_OP <> 'INSERT' THEN
            DELETE FROM {TABLE} WHERE product_id = OLD.object_id;
        END IF;
        IF TG_OP <> 'DELETE' AND NEW.status IN {NEEDS_PERSON} THEN
            INSERT INTO {TABLE} (product_id, status, catalog_id, name_search)
            SELECT p.id, NEW.status, p.catalog_id,
                   citrusadmin_name_prefixes(p.name)
            FROM syncs_product p WHERE p.id = NEW.object_id
            ON CONFLICT (product_id) DO UPDATE SET status = EXCLUDED.status,
                catalog_id = EXCLUDED.catalog_id, name_search = EXCLUDED.name_search;
        END IF;
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE TRIGGER product_attention_insert AFTER INSERT ON syncs_syncstate FOR EACH ROW
    WHEN ({CITRUSAD_PRODUCT.format(row="NEW")} AND NEW.status IN {NEEDS_PERSON})
    EXECUTE FUNCTION citrusadmin_product_attention()
    """,
    f"""
    CREATE TRIGGER product_attention_update AFTER UPDATE OF status ON syncs_syncstate
    FOR EACH ROW
    WHEN ({CITRUSAD_PRODUCT.format(row="NEW")} AND OLD.status IS DISTINCT FROM NEW.status
          AND (OLD.status IN {NEEDS_PERSON} OR NEW.status IN {NEEDS_PERSON}))
    EXECUTE FUNCTION citrusadmin_product_attention()
    """,
    f"""
    CREATE TRIGGER product_attention_delete AFTER DELETE ON syncs_syncstate FOR EACH ROW
    WHEN ({CITRUSAD_PRODUCT.format(row="OLD")} AND OLD.status IN {NEEDS_PERSON})
    EXECUTE FUNCTION citrusadmin_product_attention()
    """,
    """
    CREATE TRIGGER product_attention_truncate AFTER TRUNCATE ON syncs_syncstate
    FOR EACH STATEMENT EXECUTE FUNCTION citrusadmin_product_attention()
    """,
    f"""
    INSERT INTO {TABLE} (product_id, status, catalog_id, name_search)
    SELECT p.id, s.status, p.catalog_id, citrusadmin_name_prefixes(p.name)
    FROM syncs_syncstate s JOIN syncs_product p ON p.id = s.object_id
    WHERE {CITRUSAD_PRODUCT.format(row="s")} AND s.status IN {NEEDS_PERSON}
    """,
    f"ANALYZE {TABLE}",
]
BACKWARDS = [
    *(
        f"DROP TRIGGER IF EXISTS product_attention_{event} ON syncs_syncstate"
        for event in ("insert", "update", "delete", "truncate")
    ),
    "DROP FUNCTION IF EXISTS citrusadmin_product_attention()",
    f"DROP TABLE IF EXISTS {TABLE}",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in FORWARDS:
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for sql in BACKWARDS:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("syncs", "0018_product_name_prefixes"),
    ]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
