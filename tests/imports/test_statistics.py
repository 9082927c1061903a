"""A large import leaves PostgreSQL's statistics up to date, so the push it starts reads the
new rows through their indexes instead of scanning whole tables until autovacuum catches up."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syncs.imports import postgres
from tests.imports.helpers import run_import

CSV = "catalogId,gtin,inventory\n" + "".join(f"cat-A,SKU-{n},{n}\n" for n in range(30))


def _analyzes(queries) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE syncs_")]


# Committed for real: the statistics are refreshed only once the write has committed.
@pytest.mark.django_db(transaction=True)
def test_an_import_writing_many_rows_analyzes_the_tables_it_wrote(tmp_path, monkeypatch):
    monkeypatch.setattr(postgres, "STATISTICS_REFRESH_ROWS", 30)

    with CaptureQueriesContext(connection) as queries:
        job = run_import(tmp_path, "products", CSV)

    assert job.rows_created == 30
    assert _analyzes(queries) == ["ANALYZE syncs_product, syncs_syncstate"]


@pytest.mark.django_db(transaction=True)
def test_a_small_or_unchanged_import_leaves_the_statistics_to_autovacuum(tmp_path, monkeypatch):
    monkeypatch.setattr(postgres, "STATISTICS_REFRESH_ROWS", 31)
    with CaptureQueriesContext(connection) as queries:
        run_import(tmp_path, "products", CSV)
    monkeypatch.setattr(postgres, "STATISTICS_REFRESH_ROWS", 1)
    with CaptureQueriesContext(connection) as again:
        job = run_import(tmp_path, "products", CSV)

    assert job.rows_unchanged == 30
    assert _analyzes(queries) == [] and _analyzes(again) == []
