"""The error file is safe to open in a spreadsheet, and uploading it again (fixed) gives back
exactly the values the original file had: the import knows an error file by its `error`
column and takes the formula guard off."""

import csv
import io
from decimal import Decimal

import pytest

from syncs.models import Customer, Product
from syncs.services.import_files import import_job_error_csv
from tests.imports.helpers import chunked_path, run_import

pytestmark = pytest.mark.django_db

ORIGINAL = (
    "catalogId,gtin,inventory,profit,name,tags\n"
    "c,SKU-1,x,-0.50,-10% off sale,=cheap|+new\n"
    "c,SKU-2,y,1.00,'quoted' name,@home\n"
    "c,SKU-3,3,2.00,plain,\n"
)


def _error_file(job) -> str:
    return "".join(import_job_error_csv(job=job)).lstrip("\ufeff")


@pytest.mark.parametrize("path", ["this database", "chunked"])
def test_a_fixed_error_file_restores_the_original_values(tmp_path, monkeypatch, path):
    if path == "chunked":
        chunked_path(monkeypatch)
    job = run_import(tmp_path, "products", ORIGINAL, skip_invalid=True)
    assert (job.rows_created, job.rows_invalid) == (1, 2)

    downloaded = _error_file(job)
    rows = list(csv.reader(io.StringIO(downloaded)))
    # Safe in a spreadsheet: nothing starts as a formula, and the guard itself is guarded.
    assert rows[0] == [
        *("catalogId", "gtin", "inventory", "profit", "name", "tags"),
        *("error", "warning"),
    ]
    assert rows[1][:6] == ["c", "SKU-1", "x", "'-0.50", "'-10% off sale", "'=cheap|+new"]
    assert rows[2][:6] == ["c", "SKU-2", "y", "1.00", "''quoted' name", "'@home"]

    fixed = downloaded.replace("SKU-1,x,", "SKU-1,4,").replace("SKU-2,y,", "SKU-2,5,")
    again = run_import(tmp_path, "products", fixed)

    assert again.status == "succeeded", again.message
    assert (again.rows_created, again.rows_invalid) == (2, 0)
    one = Product.objects.get(gtin="SKU-1")
    assert (one.inventory, one.profit, one.name, one.tags) == (
        4,
        Decimal("-0.50"),
        "-10% off sale",
        ["=cheap", "+new"],
    )
    two = Product.objects.get(gtin="SKU-2")
    assert (two.name, two.tags) == ("'quoted' name", ["@home"])


def test_an_error_file_with_rows_still_wrong_gives_a_new_error_file_of_the_same_shape(tmp_path):
    job = run_import(tmp_path, "customers", "external_id,first_name\nC 1,-Ann\n")
    again = run_import(tmp_path, "customers", _error_file(job))

    assert again.errors == job.errors
    assert _error_file(again) == _error_file(job)
    assert not Customer.objects.exists()


def test_a_file_without_an_error_column_keeps_a_leading_apostrophe(tmp_path):
    run_import(tmp_path, "products", "catalogId,gtin,inventory,name\nc,SKU-1,1,'-0.50\n")
    assert Product.objects.get().name == "'-0.50"
