"""Product imports against the real database (the COPY path on PostgreSQL, the chunked path on
SQLite): counts, change detection, every kind of bad row, dry runs, the safeguard."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from syncs.models import AuditEvent, Catalog, ImportJob, Product, SyncState
from syncs.services.import_files import import_job_error_csv
from syncs.services.imports import import_job_create
from tests.factories import CatalogFactory, ProductFactory
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db

HEADER = "catalogId,gtin,sellerId,inventory,price,profit,name,imageUrl,tags,filters,groups\n"
GOOD = (
    HEADER
    + "cat-A,4006381333931,,10,19.99,1.50,Pen,https://img.example/pen.jpg,new|promo,"
    + "category:Office|hfss:false,Brand\n"
    + 'cat-A,SKU-123,seller-9,3,8.50,,Cereal,,,"[""category:Pantry""]",\n'
)


def _state_versions():
    return sorted(SyncState.objects.values_list("object_id", "wanted_version", "status"))


def test_a_first_import_creates_products_registers_the_catalog_and_queues_them(tmp_path):
    job = run_import(tmp_path, "products", GOOD)

    assert job.status == "succeeded", job.message
    assert (job.rows_read, job.rows_created, job.rows_updated, job.rows_unchanged) == (2, 2, 0, 0)
    assert job.catalogs_registered == 1
    catalog = Catalog.objects.get(citrusad_id="cat-A")
    pen = Product.objects.get(gtin="4006381333931")
    assert pen.catalog == catalog
    assert (pen.inventory, pen.price, pen.profit, pen.name) == (
        10,
        Decimal("19.99"),
        Decimal("1.50"),
        "Pen",
    )
    assert pen.image_url == "https://img.example/pen.jpg"
    assert (pen.tags, pen.filters, pen.groups) == (
        ["new", "promo"],
        ["category:Office", "hfss:false"],
        ["Brand"],
    )
    sku = Product.objects.get(gtin="SKU-123")
    assert (sku.seller_id, sku.inventory, sku.filters) == ("seller-9", 3, ["category:Pantry"])
    # Two products pending for CitrusAd at version 1; the registered catalog is not pushed.
    assert SyncState.objects.filter(kind="product", status="pending", wanted_version=1).count() == 2
    assert not SyncState.objects.filter(kind="catalog").exists()
    assert job.progress_done == job.file_size and job.progress_percent == 100


def test_a_code_of_superscript_digits_is_a_product_code_not_a_crash(tmp_path):
    """A superscript two is a digit to str.isdigit() but not to int(): check digits are 0-9."""
    job = run_import(tmp_path, "products", HEADER + "cat-A," + "²" * 13 + ",,1,,,,,,,\n")
    assert job.status == "succeeded", job.message
    assert Product.objects.get().gtin == "²" * 13


def test_reimporting_the_same_file_changes_nothing_and_queues_nothing(tmp_path):
    run_import(tmp_path, "products", GOOD)
    SyncState.objects.update(status="confirmed", confirmed_version=1)

    job = run_import(tmp_path, "products", GOOD)

    assert (job.rows_created, job.rows_updated, job.rows_unchanged) == (0, 0, 2)
    assert set(Product.objects.values_list("version", flat=True)) == {1}
    assert not SyncState.objects.filter(status="pending").exists()


def test_a_changed_row_bumps_its_version_and_only_it_is_queued(tmp_path):
    run_import(tmp_path, "products", GOOD)
    SyncState.objects.update(status="confirmed", confirmed_version=1)

    job = run_import(tmp_path, "products", GOOD.replace("19.99", "17.49"))

    assert (job.rows_updated, job.rows_unchanged) == (1, 1)
    pen = Product.objects.get(gtin="4006381333931")
    assert (pen.price, pen.version) == (Decimal("17.49"), 2)
    pending = SyncState.objects.get(status="pending")
    assert (pending.object_id, pending.wanted_version) == (pen.pk, 2)


def test_absent_columns_keep_their_stored_values(tmp_path):
    product = ProductFactory(gtin="SKU-K1", price=Decimal("3.00"), name="Kept", inventory=4)
    csv = f"catalogId,gtin,inventory\n{product.catalog.citrusad_id},{product.gtin},9\n"

    # One product of a one-product catalog is "more than half": confirm it.
    job = run_import(tmp_path, "products", csv, confirm_large_change=True)

    product.refresh_from_db()
    assert job.rows_updated == 1
    assert (product.inventory, product.price, product.name) == (9, Decimal("3.00"), "Kept")


def test_a_restock_from_the_file_ends_a_stock_out(tmp_path):
    product = ProductFactory(gtin="SKU-R1", inventory=0, restore_inventory=12)
    run_import(
        tmp_path,
        "products",
        f"catalogId,gtin,inventory\n{product.catalog.citrusad_id},{product.gtin},30\n",
        confirm_large_change=True,
    )
    product.refresh_from_db()
    assert (product.inventory, product.restore_inventory) == (30, None)


def test_the_chosen_catalog_is_used_for_rows_without_catalog_id(tmp_path):
    catalog = CatalogFactory()
    job = run_import(tmp_path, "products", "gtin,inventory\n4006381333931,5\n", catalog=catalog)
    assert job.status == "succeeded", job.message
    assert Product.objects.get().catalog == catalog


def test_semicolons_windows_1252_and_decimal_commas(tmp_path):
    csv = "catalogId;gtin;inventory;price;name\ncat-A;4006381333931;2;4,99;Crème brûlée\n"
    job = run_import(tmp_path, "products", csv, file_encoding="cp1252")
    assert job.status == "succeeded", job.message
    assert (job.delimiter, job.detected_encoding) == (";", "cp1252")
    product = Product.objects.get()
    assert (product.price, product.name) == (Decimal("4.99"), "Crème brûlée")


BAD_ROWS = [
    ("cat-A,,,1,,,,,,,", "gtin is required"),
    (f"cat-A,{'1' * 60},,1,,,,,,,", "gtin is 60 characters long; the limit is 50"),
    ("cat-A,4006381333931,,1,,,,,,,x\x00y", "groups contains a NUL character"),
    (f"cat-A,{'1' * 51},,1,,,,,,,", "gtin is 51 characters long; the limit is 50"),
    ("cat-A,SKU/1,,1,,,,,,,", "contains a space, '/', '?', '#' or '%'"),
    ("cat-A,SKU%201,,1,,,,,,,", "contains a space, '/', '?', '#' or '%'"),
    ("cat-A,4006381333931,,-3,,,,,,,", "inventory must not be negative (-3)"),
    ("cat-A,4006381333931,,,,,,,,,", "inventory is required"),
    ("cat-A,4006381333931,,1,abc,,,,,,", "price must be an amount such as 19.99, not 'abc'"),
    ("cat-A,4006381333931,,1,1.999,,,,,,", "price 1.999 has more than two decimals"),
    ("cat-A,4006381333931,,1,,,,ftp://x,,,", "imageUrl 'ftp://x' is not an http(s) URL"),
    (
        f"cat-A,4006381333931,,1,,,,https://i.example/{'x' * 800},,,",
        "imageUrl is 818 characters long; the limit is 741",
    ),
    (f"cat-A,4006381333931,,1,,,{'n' * 501},,,,", "name is 501 characters long; the limit is 500"),
    (f"cat-A,4006381333931,,1,,,,,{'t' * 751},,", "tags has an item 751 characters long"),
    (",4006381333931,,1,,,,,,,", "catalogId is required"),
    ("cat-A,4006381333931,,1", "the row has 4 cells; the header has 11"),
    ("cat-A,SKU 1,,1,,,,,,,", "contains a space"),
]


@pytest.mark.parametrize(("row", "message"), BAD_ROWS)
def test_each_bad_row_is_reported_with_its_line_and_nothing_is_written(tmp_path, row, message):
    good = "cat-A,4006381333948,,1,,,,,,,\n"
    job = run_import(tmp_path, "products", HEADER + good + row + "\n")

    assert job.status == "failed"
    assert job.rows_invalid == 1 and job.rows_read == 2
    assert job.errors[0]["line"] == 3
    assert message in job.errors[0]["message"]
    assert "Nothing was written: 1 row is invalid" in job.message
    assert not Product.objects.exists() and not Catalog.objects.exists()
    assert not SyncState.objects.exists()


def test_skip_invalid_imports_the_valid_rows_only(tmp_path):
    csv = HEADER + "cat-A,4006381333931,,1,,,,,,,\ncat-A,SKU#2,,1,,,,,,,\n"
    job = run_import(tmp_path, "products", csv, skip_invalid=True)
    assert job.status == "succeeded", job.message
    assert (job.rows_created, job.rows_invalid) == (1, 1)
    assert list(Product.objects.values_list("gtin", flat=True)) == ["4006381333931"]


def test_a_duplicate_key_within_the_file_points_at_the_first_line(tmp_path):
    csv = HEADER + "cat-A,SKU-1,,1,,,,,,,\ncat-A,SKU-2,,1,,,,,,,\ncat-A,SKU-1,,2,,,,,,,\n"
    job = run_import(tmp_path, "products", csv)
    assert job.errors == [{"line": 4, "message": "duplicate of line 2"}]
    assert not Product.objects.exists()


def test_empty_columns_after_the_last_are_ignored_but_not_in_the_middle(tmp_path):
    job = run_import(tmp_path, "products", "catalogId,gtin,inventory,,\ncat-A,SKU-1,1,,\n")
    assert job.status == "succeeded", job.message
    job = run_import(tmp_path, "products", "catalogId,,gtin\ncat-A,,SKU-1\n")
    assert job.message == "Column 2 of the header has no name."


def test_the_same_gtin_with_another_seller_is_another_product(tmp_path):
    csv = HEADER + "cat-A,SKU-1,,1,,,,,,,\ncat-A,SKU-1,s2,1,,,,,,,\n"
    job = run_import(tmp_path, "products", csv)
    assert job.rows_created == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (HEADER.encode(), "The file has a header but no rows."),
        (b"gtin,colour\n1,red\n", "Unknown column 'colour' in the header (line 1)"),
        (b"catalogId,inventory\nx,1\n", "The header lacks the required column 'gtin'."),
        (b"gtin,gtin\n1,1\n", "names the column 'gtin' twice"),
        ("gtin,name\n4006381333931,Café\n".encode("cp1252"), "Line 2 is not valid UTF-8"),
    ],
)
def test_a_file_that_cannot_be_read_fails_with_its_reason(tmp_path, content, message):
    job = run_import(tmp_path, "products", content, encoding="utf-8", catalog=CatalogFactory())
    assert job.status == "failed"
    assert message in job.message
    assert not Product.objects.exists()


def test_a_two_gigabyte_upload_is_refused_before_it_is_read(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    huge = tmp_path / "huge.csv"
    with open(huge, "wb") as f:
        f.truncate(2 * 1024**3)  # sparse: no disk space, no time

    with pytest.raises(ValidationError, match=r"The file is 2\.0.{1,4}GB; the largest import"):
        import_job_create(kind="products", actor=None, path=huge)
    upload = SimpleUploadedFile("huge.csv", b"gtin\n1\n")
    upload.size = 2 * 1024**3
    with pytest.raises(ValidationError, match="IMPORT_MAX_UPLOAD_BYTES"):
        import_job_create(kind="products", actor=None, uploaded_file=upload)
    assert not ImportJob.objects.exists()
    assert not list((tmp_path / "media").glob("imports/*"))


def test_an_upload_larger_than_it_claims_is_cut_off_and_removed(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.IMPORT_MAX_UPLOAD_BYTES = 1024
    upload = SimpleUploadedFile("big.csv", b"gtin\n" + b"4006381333931\n" * 200)
    upload.size = 10  # a lying size must not get it past the limit
    with pytest.raises(ValidationError, match="the largest import accepted is 1.0"):
        import_job_create(kind="products", actor=None, uploaded_file=upload)
    assert not list((tmp_path / "media" / "imports").iterdir())


def test_an_upload_is_stored_on_disk_and_its_task_sent_after_commit(
    tmp_path, settings, admin_user, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path / "media"
    upload = SimpleUploadedFile("catalog.csv", GOOD.encode())
    with django_capture_on_commit_callbacks() as callbacks:
        job = import_job_create(kind="products", actor=admin_user, uploaded_file=upload)
    assert len(callbacks) == 1
    assert job.status == "queued" and job.created_by == admin_user
    assert job.original_name == "catalog.csv"
    assert Path(job.file_path).read_bytes() == GOOD.encode()
    started = AuditEvent.objects.get(action="import_started")
    assert started.actor == admin_user and started.object_id == str(job.pk)


def test_dry_run_reports_what_would_happen_and_writes_nothing(tmp_path):
    job = run_import(tmp_path, "products", GOOD, dry_run=True)
    assert job.status == "succeeded"
    assert (job.rows_created, job.rows_updated, job.catalogs_registered) == (2, 0, 1)
    assert job.message.startswith("Dry run, nothing written: 2 would be created")
    assert not Product.objects.exists() and not Catalog.objects.exists()
    assert not SyncState.objects.exists()
    assert AuditEvent.objects.get(action="import_finished").after["status"] == "succeeded"


def _catalog_of(count, inventory=10):
    catalog = CatalogFactory()
    products = [
        ProductFactory(catalog=catalog, gtin=f"SKU-{n}", inventory=inventory) for n in range(count)
    ]
    return catalog, products


def test_the_safeguard_stops_an_import_that_would_stock_out_a_quarter_of_a_catalog(tmp_path):
    catalog, products = _catalog_of(8)
    rows = "".join(
        f"{catalog.citrusad_id},{p.gtin},{0 if n < 2 else 10}\n" for n, p in enumerate(products)
    )
    csv = "catalogId,gtin,inventory\n" + rows

    job = run_import(tmp_path, "products", csv)

    assert job.status == "failed" and job.needs_confirmation
    assert "2 of 8 products would have zero inventory (25%)" in job.message
    entry = job.safeguard[0]
    assert (entry["stock_outs"], entry["products"], entry["exceeded"]) == (2, 8, True)
    assert not Product.objects.filter(inventory=0).exists()

    confirmed = run_import(tmp_path, "products", csv, confirm_large_change=True)
    assert confirmed.status == "succeeded"
    assert Product.objects.filter(inventory=0).count() == 2


def test_the_safeguard_stops_an_import_that_would_change_more_than_half(tmp_path):
    catalog, products = _catalog_of(4)
    rows = "".join(f"{catalog.citrusad_id},{p.gtin},{n + 20}\n" for n, p in enumerate(products))
    job = run_import(tmp_path, "products", "catalogId,gtin,inventory\n" + rows[:-1] + "\n")
    assert job.needs_confirmation
    assert "4 of 4 existing products would change (100%)" in job.message


def test_a_dry_run_shows_the_safeguard_figures(tmp_path):
    catalog, products = _catalog_of(4)
    rows = "".join(f"{catalog.citrusad_id},{p.gtin},0\n" for p in products)
    job = run_import(tmp_path, "products", "catalogId,gtin,inventory\n" + rows, dry_run=True)
    assert job.needs_confirmation and job.status == "succeeded"
    assert job.safeguard[0]["stock_outs"] == 4
    assert "Nothing was written: this import would set more than 20%" in job.message
    assert not Product.objects.filter(inventory=0).exists()


def test_a_dry_run_with_invalid_rows_says_the_import_would_stop(tmp_path):
    job = run_import(tmp_path, "products", GOOD + "cat-A,SKU?2,,1,,,,,,,\n", dry_run=True)
    assert job.status == "succeeded" and job.rows_invalid == 1 and job.rows_created == 2
    assert job.message == (
        "Dry run: 2 would be created, 0 updated, 0 unchanged. Nothing was written: 1 row is "
        "invalid. Fix them (download the error file) or choose to skip invalid rows."
    )
    assert not Product.objects.exists()


def test_the_error_csv_has_the_rows_an_error_column_and_no_formulas(tmp_path):
    csv = (
        "catalogId,gtin,inventory,name\n"
        "cat-A,4006381333931,1,ok\n"
        'cat-A,=HYPERLINK("http://evil"),-1,@SUM(A1)\n'
        "cat-A,+SKU,x,\tname\n"
    )
    job = run_import(tmp_path, "products", csv)

    lines = "".join(import_job_error_csv(job=job)).lstrip("\ufeff").splitlines()
    assert lines[0] == "catalogId,gtin,inventory,name,error,warning"
    assert lines[1].startswith('cat-A,"\'=HYPERLINK(""http://evil"")",\'-1,\'@SUM(A1),')
    assert lines[2].startswith("cat-A,'+SKU,x,'\tname,")
    assert (
        lines[1].endswith(
            "gtin '=HYPERLINK(\"\"http://evil\"\")' contains a space, '/', '?', '#' or '%'\""
        )
        or "line 3:" in lines[1]
    )
    assert "line 4: inventory must be a whole number, not 'x'" in lines[2] or "line 4:" in lines[2]
    assert job.rows_invalid == 2


def test_a_corrected_error_file_can_be_uploaded_again(tmp_path):
    job = run_import(tmp_path, "products", "catalogId,gtin,inventory\ncat-A,SKU-1,x\n")
    fixed = "".join(import_job_error_csv(job=job)).replace(",x,", ",3,")
    again = run_import(tmp_path, "products", fixed)
    assert again.status == "succeeded", again.message
    assert Product.objects.get().inventory == 3
