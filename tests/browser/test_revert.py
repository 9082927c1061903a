"""Reverting an import in a real browser, with a real worker running the import and the revert
and pushing to the sandbox over HTTP."""

import time

import pytest
from playwright.sync_api import expect

from syncs.models import ImportJob, Product, SyncState
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

HEADER = "catalogId,gtin,inventory,price,name\n"


@pytest.mark.worker
def test_admin_sees_names_cleared_imports_anyway_then_reverts_the_import(
    console, sandbox, celery_workers, uploads
):
    celery_workers.start(env={**sandbox.env(), **uploads})
    console.login(UserFactory(role="admin"))

    def upload(content: str, name: str, *, dry_run: bool) -> None:
        console.go("/imports/")
        console.page.get_by_label("What it holds").select_option("products")
        path = console.tmp_path / name
        path.write_text(content)
        console.page.get_by_label("CSV file").set_input_files(str(path))
        dry = console.page.get_by_label("Dry run: check everything, write nothing")
        dry.set_checked(dry_run)
        console.page.get_by_label("I mean it").set_checked(True)
        console.page.get_by_role("button", name="Upload").click()
        expect(console.page.locator("#status-h")).to_contain_text("Succeeded", timeout=30_000)

    upload(
        HEADER + "cat-A,04006381333931,5,19.99,Foundation 30mL\n" + "cat-A,SKU-2,3,2.00,Cereal\n",
        "catalog.csv",
        dry_run=False,
    )
    # The second file empties a name, stocks one out and adds a product: the dry run says so.
    second = (
        HEADER
        + "cat-A,04006381333931,0,19.99,\n"
        + "cat-A,SKU-2,3,2.00,Cereal\n"
        + "cat-A,23556578965543,50,19.99,Doc example\n"
    )
    upload(second, "catalog-2.csv", dry_run=True)
    expect(console.page.locator("#alerts")).to_contain_text("The file clears 1 stored name value")
    expect(console.page.locator("#changes")).to_contain_text(
        'line 2, 04006381333931: name "Foundation 30mL" → empty'
    )
    expect(console.page.locator("#inventory-line")).to_contain_text("1 product would go to zero")
    console.screenshot("import-changes")
    console.page.get_by_role("button", name="Import now").click()
    expect(console.page.locator("h1")).to_contain_text("Import #")
    expect(console.page.locator("#status-h")).to_contain_text("Succeeded", timeout=30_000)
    imported = ImportJob.objects.get(dry_run=False, original_name="catalog-2.csv")
    assert Product.objects.get(gtin="04006381333931").name == ""

    console.page.get_by_role("link", name="Revert this import…").click()
    expect(console.page.locator("#revert-counts")).to_contain_text(
        "1 products the import created will be removed"
    )
    expect(console.page.locator("#revert-counts")).to_contain_text(
        "1 products it updated get their previous values back"
    )
    console.page.get_by_label("Revert this import").check()
    console.page.get_by_role("button", name="Revert 2 rows").click()
    expect(console.page.locator("h1")).to_contain_text(f"of import #{imported.pk}")
    expect(console.page.locator("#status-h")).to_contain_text("Succeeded", timeout=30_000)
    expect(console.page.locator("#job-message")).to_contain_text(
        "1 restored to their previous values, 1 created by the import removed"
    )
    console.screenshot("import-revert")

    foundation = Product.objects.get(gtin="04006381333931")
    assert (foundation.name, foundation.inventory) == ("Foundation 30mL", 5)
    assert not Product.objects.filter(gtin="23556578965543").exists()
    console.go(f"/products/{foundation.pk}/")
    history = console.page.locator("#field-history")
    expect(history).to_contain_text(f"revert of import #{imported.pk}")
    expect(history).to_contain_text(f"import #{imported.pk}")
    # The worker pushes the restored version: wait until CitrusAd confirmed it.
    deadline = time.monotonic() + 30
    while not SyncState.objects.filter(
        object_id=foundation.pk, kind="product", confirmed_version=foundation.version
    ).exists():
        assert time.monotonic() < deadline, "the restored product was not pushed"
        time.sleep(0.2)
    assert foundation.version == 3
    assert sandbox.product("cat-A", "04006381333931")["inventory"] == 5
    assert sandbox.product("cat-A", "04006381333931")["tags"] == ["name:Foundation 30mL"]
