"""The main journeys in a real browser, with real workers pushing to the sandbox over HTTP."""

import re

import pytest
from playwright.sync_api import expect

from syncs.destinations import destination_client
from syncs.models import DeletionState, ImportJob, Product
from syncs.remotes import payloads
from tests.factories import CatalogFactory, ProductFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.mark.worker
def test_merchandiser_scans_a_gtin_stocks_it_out_and_sees_it_confirmed(
    console, sandbox, celery_workers
):
    celery_workers.start(env=sandbox.env())
    catalog = CatalogFactory(name="Groceries")
    product = ProductFactory(
        catalog=catalog, gtin="06414893400012", name="Rye crisp bread 250 g", inventory=12
    )
    ProductFactory(catalog=catalog, gtin="06414893400029", name="Rye crisp bread 500 g")
    console.login(UserFactory(role="merchandiser"))

    console.go("/products/")
    box = console.page.get_by_label("GTIN or name")
    expect(box).to_be_focused()
    box.fill(product.gtin)
    box.press("Enter")  # a barcode scanner types the digits and Enter
    row = console.page.locator(f"#product-{product.pk}")
    expect(row).to_be_visible()
    expect(console.page.locator("#results tbody tr")).to_have_count(1)
    expect(box).to_be_focused()

    row.get_by_role("button", name=f"Stock out {product.gtin}").click()
    expect(row.get_by_role("button", name=f"Restore {product.gtin}")).to_be_visible()
    chip = console.page.locator(f"#chip-{product.pk}")
    expect(chip).to_have_text(re.compile("confirmed"), timeout=30_000)
    pushed = sandbox.product(catalog.citrusad_id, product.gtin)
    assert pushed is not None and pushed["inventory"] == 0
    product.refresh_from_db()
    assert product.inventory == 0 and product.restore_inventory == 12
    console.screenshot("products")


def test_support_checks_a_product_live_and_deletes_it(console, sandbox):
    catalog = CatalogFactory(name="Pantry")
    product = ProductFactory(catalog=catalog, gtin="07310865071705", name="Oat drink 1 l")
    destination_client("citrusad").upsert_catalog_products(
        items=[payloads.catalog_product_payload(product)]
    )
    Product.objects.filter(pk=product.pk).update(inventory=3)  # changed here, not pushed yet
    console.login(UserFactory(role="support"))

    console.go(f"/products/{product.pk}/")
    console.page.get_by_role("link", name="Check in CitrusAd").click()
    live = console.page.locator("#live")
    expect(live).to_contain_text("1 field differs")
    expect(live.locator("tr.differs")).to_contain_text("inventory")
    console.screenshot("product-detail")

    console.page.get_by_role("link", name="Delete…").click()
    expect(console.page.get_by_text("Deletion is permanent for advertisers")).to_be_visible()
    expect(console.page.get_by_role("button", name="Stock out instead")).to_be_visible()
    console.screenshot("product-delete")
    console.page.get_by_label("I understand that deleting is permanent for advertisers.").check()
    console.page.get_by_role("button", name="Delete permanently").click()
    expect(console.page.get_by_role("status")).to_contain_text("takes 30–60 minutes in CitrusAd")
    product.refresh_from_db()
    assert product.deletion_state == DeletionState.REQUESTED


@pytest.mark.worker
def test_admin_uploads_a_bad_csv_reads_the_error_fixes_it_and_imports(
    console, celery_workers, uploads
):
    celery_workers.start(env=uploads)
    header = "catalogId,gtin,inventory,price,name\n"
    good = "cat-A,4006381333931,10,19.99,Pen\n"
    bad = "cat-A,4006381333948,lots,8.50,Cereal\n"
    console.login(UserFactory(role="admin"))

    def upload(content: str, name: str) -> None:
        console.go("/imports/")
        console.page.get_by_label("What it holds").select_option("products")
        path = console.tmp_path / name
        path.write_text(content)
        console.page.get_by_label("CSV file").set_input_files(str(path))
        expect(
            console.page.get_by_label("Dry run: check everything, write nothing")
        ).to_be_checked()
        console.page.get_by_role("button", name="Upload").click()

    upload(header + good + bad, "products.csv")
    expect(console.page.get_by_text("Nothing was written: 1 row is invalid")).to_be_visible(
        timeout=30_000
    )
    errors = console.page.locator("section[aria-labelledby=errors-h]")
    expect(errors).to_contain_text("lots")
    console.screenshot("import-detail")
    with console.page.expect_download() as download_info:
        console.page.get_by_role("link", name="Download the error file (CSV)").click()
    error_file = download_info.value.path().read_text(encoding="utf-8-sig")
    assert "4006381333948" in error_file and "lots" in error_file

    upload(header + good + bad.replace("lots", "4"), "products-fixed.csv")
    expect(console.page.get_by_role("button", name="Import now")).to_be_visible(timeout=30_000)
    assert not Product.objects.exists()
    console.page.get_by_role("button", name="Import now").click()
    expect(console.page.locator("h1")).to_contain_text("Import #")
    expect(console.page.locator("#status-h")).to_contain_text("Succeeded", timeout=30_000)
    assert Product.objects.count() == 2
    assert ImportJob.objects.filter(dry_run=False, status="succeeded").count() == 1
    console.go("/imports/")
    console.screenshot("imports")
