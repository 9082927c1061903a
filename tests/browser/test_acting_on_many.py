"""Bulk restore, My activity, a bulk entry in the audit log, a split batch and "Retry all
failed", driven in Chromium as a merchandiser, an admin and support would, with the README's
screenshots of each."""

import pytest
from playwright.sync_api import expect

from syncs.models import AuditEvent, BatchTrigger, Product, SyncState
from tests.factories import CatalogFactory, ProductFactory, UserFactory
from tests.views.conftest import make_batch, make_state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_restoring_a_whole_catalog_asks_for_the_number_then_restores_it(console):
    catalog = CatalogFactory(name="Groceries")
    for i in range(6):
        ProductFactory(catalog=catalog, name=f"Crispbread {i}", inventory=0, restore_inventory=4)
    ProductFactory(catalog=catalog, name="Crispbread, in stock", inventory=9)
    console.login(UserFactory(role="merchandiser"))

    console.go("/products/?q=crispbread")
    console.page.get_by_role("button", name="Restore all matching this search…").click()
    # Six of the seven would change (one is in stock), and six of seven is above the share.
    expect(console.page.locator("h1")).to_have_text("Restore 6 products?")
    typed = console.page.get_by_label("Type 6 to confirm")
    expect(typed).to_be_visible()
    console.screenshot("bulk-restore")
    typed.fill("6")
    console.page.get_by_role("button", name="Yes, restore 6").click()

    expect(console.page.locator(".messages")).to_contain_text(
        "7 products requested: 6 restored, 1 already in stock, 0 skipped."
    )
    assert not Product.objects.filter(inventory=0).exists()
    assert set(Product.objects.values_list("inventory", flat=True)) == {4, 9}


def test_my_activity_lists_a_bulk_action_and_the_audit_log_opens_it_to_its_rows(console):
    catalog = CatalogFactory(name="Groceries")
    products = [
        ProductFactory(catalog=catalog, gtin=f"0641489340{i:04d}", name=f"Rye {i}", inventory=5)
        for i in range(3)
    ]
    for i in range(17):  # three of twenty: below the share that asks for the number typed
        ProductFactory(catalog=catalog, name=f"Oat drink {i}", inventory=5)
    admin = UserFactory(username="aino.admin", role="admin")
    console.login(admin)

    console.go("/products/?q=rye")
    for product in products:
        console.page.get_by_label(f"Select {product.gtin}").check()
    console.page.get_by_role("button", name="Stock out selected…").click()
    expect(console.page.locator("h1")).to_have_text("Stock out 3 products?")
    console.page.get_by_role("button", name="Yes, stock out 3").click()
    expect(console.page.locator(".messages")).to_contain_text("3 products requested: 3 stocked out")

    console.go("/activity/")
    rows = console.page.locator("#results tbody tr")
    expect(rows).to_have_count(1)  # one action, not three
    expect(rows.first).to_contain_text("3 products")
    expect(rows.first.locator(".chip")).to_contain_text("CitrusAd")
    console.screenshot("my-activity")

    console.go("/audit/")
    entry = console.page.locator(f"#event-{AuditEvent.objects.get(parent=None).pk}")
    entry.get_by_text("3 rows in this action").click()
    for product in products:
        expect(entry.locator(".rows")).to_contain_text(str(product.pk))
    console.screenshot("audit-entry")


@pytest.fixture
def split():
    """A rejected batch of two, sent again as one delivered and one rejected batch."""
    catalog = CatalogFactory(name="Groceries")
    good = ProductFactory(catalog=catalog, name="Rye crisp bread 250 g")
    bad = ProductFactory(catalog=catalog, name="Oat drink barista 1 l")
    parent = make_batch(keys=[good.gtin, bad.gtin], outcome="rejected", error="1 item invalid")
    delivered = make_batch(keys=[good.gtin], parent=parent, trigger=BatchTrigger.SPLIT)
    rejected = make_batch(
        keys=[bad.gtin],
        outcome="rejected",
        parent=parent,
        trigger=BatchTrigger.SPLIT,
        error="catalogProducts[0].price: must be a positive number",
    )
    make_state(good, kind="product", status="confirmed", last_batch=delivered)
    make_state(bad, kind="product", status="failed", last_batch=rejected, last_error="bad price")
    return {"parent": parent, "rejected": rejected, "bad": bad}


def test_support_follows_a_split_batch_and_retries_its_failed_rows(console, split):
    parent, rejected = split["parent"], split["rejected"]
    console.login(UserFactory(role="support"))

    console.go(f"/history/{parent.pk}/")
    expect(console.page.get_by_text("Sent again in 2 smaller batches")).to_be_visible()
    console.page.locator(f"a[href='/history/{rejected.pk}/']").first.click()
    expect(console.page).to_have_url(f"{console.base_url}/history/{rejected.pk}/")
    console.page.get_by_role("link", name=f"batch #{parent.pk}").click()
    expect(console.page).to_have_url(f"{console.base_url}/history/{parent.pk}/")
    assert "bisect" not in console.page.content().lower()
    console.screenshot("batch-split")

    console.page.get_by_role("button", name="Retry the failed rows (1)").click()
    expect(console.page.locator(".messages")).to_be_visible()
    assert SyncState.objects.get(object_id=split["bad"].pk).status == "pending"


def test_support_retries_every_failed_row_from_the_dashboard(console):
    catalog = CatalogFactory(name="Groceries")
    for i in range(3):
        product = ProductFactory(catalog=catalog, name=f"Rye {i}")
        make_state(product, kind="product", status="failed", last_error="price must be positive")
    console.login(UserFactory(role="support"))

    console.go("/")
    console.page.get_by_role("link", name="Retry all failed (3)…").click()
    # One confirmation: the count and one button, nothing more to tick.
    expect(console.page.locator("h1")).to_have_text("Retry 3 failed rows?")
    expect(console.page.locator("main input[type=checkbox]")).to_have_count(0)
    console.screenshot("retry-all-failed")
    console.page.get_by_role("button", name="Retry 3 failed rows").click()

    expect(console.page.get_by_text("3 failed rows queued again")).to_be_visible()
    assert not SyncState.objects.filter(status="failed").exists()
    assert AuditEvent.objects.get(action="sync.retry_failed").after == {"rows": 3}


def test_retry_all_failed_retries_nothing_when_the_count_changed_meanwhile(console):
    catalog = CatalogFactory(name="Groceries")
    for i in range(2):
        product = ProductFactory(catalog=catalog, name=f"Oat {i}")
        make_state(product, kind="product", status="failed")
    console.login(UserFactory(role="support"))

    console.go("/sync/retry-failed/")
    expect(console.page.locator("h1")).to_have_text("Retry 2 failed rows?")
    # Another row fails while the page is open.
    make_state(ProductFactory(catalog=catalog, name="Oat 2"), kind="product", status="failed")
    console.expect_status(409)  # the page comes back, as 409 Conflict, with the new count
    console.page.get_by_role("button", name="Retry 2 failed rows").click()

    expect(console.page.get_by_role("alert")).to_contain_text(
        "The failed rows changed since the page was shown (2 then, 3 now): nothing was retried."
    )
    assert SyncState.objects.filter(status="failed").count() == 3
    expect(console.page.locator("h1")).to_have_text("Retry 3 failed rows?")
    console.page.get_by_role("button", name="Retry 3 failed rows").click()
    expect(console.page.get_by_text("3 failed rows queued again")).to_be_visible()
    assert not SyncState.objects.filter(status="failed").exists()
