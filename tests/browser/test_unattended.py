"""Feeds, alerts and the stock-out check in a real browser, with screenshots for the README."""

import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import expect

from syncs.alerts.evaluation import AlertEvaluation
from syncs.feeds.credentials import credentials_decrypt
from syncs.models import Feed, FeedRun
from syncs.services.feeds import feed_run, feeds_start_due
from syncs.services.products import product_set_stock
from syncs.services.push import sync_drain
from syncs.services.stockouts import stockout_check_in_process
from tests.factories import CatalogFactory, ProductFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"
    settings.STORED_SECRETS_KEYS = [Fernet.generate_key().decode()]
    settings.STOCKOUT_CHECK_RATE = 100
    settings.STOCKOUT_RECHECK_MINUTES = 0


def _tick_like_a_worker() -> FeedRun:
    """What beat and a worker do: start the due feed, run it (the import too)."""
    (run,) = feeds_start_due()
    return feed_run(run_id=run.pk, import_in_process=True)


def test_an_admin_adds_a_feed_and_sees_it_import_then_skip(console, http_files):
    catalog = CatalogFactory(name="Groceries", citrusad_id="cat-groceries")
    http_files.write(
        "products.csv",
        "catalogId,gtin,inventory,price,name\n"
        + "".join(f"cat-groceries,FEED-{n},{n + 3},2.49,Feed product {n}\n" for n in range(12)),
    )
    admin = UserFactory(username="aino.admin", role="admin")
    console.login(admin)
    page = console.page
    console.go("/feeds/")
    page.get_by_label("Name", exact=True).fill("nightly-products")
    page.get_by_label("Kind").select_option("products")
    page.get_by_label("URL or path").fill(http_files.url("products.csv"))
    page.locator("#id_every").fill("15m")
    page.get_by_label("Expect a new file at least every … hours").fill("26")
    page.get_by_role("button", name="Add feed").click()
    expect(page.get_by_text("Feed nightly-products added")).to_be_visible()
    assert Feed.objects.get().catalog is None and catalog.pk

    first = _tick_like_a_worker()
    assert first.status == "imported"
    Feed.objects.update(next_run_at=first.finished_at)
    second = _tick_like_a_worker()
    assert second.status == "unchanged"
    console.go(f"/feeds/{first.feed_id}/")
    expect(page.locator(f"#run-{first.pk}")).to_contain_text("New file imported")
    expect(page.locator(f"#run-{second.pk}")).to_contain_text("Unchanged")
    expect(page.locator(f"#run-{first.pk}").get_by_role("link")).to_have_text(
        f"#{first.import_job_id}"
    )
    console.screenshot("feed-detail")
    console.go("/feeds/")
    expect(page.locator("#feeds tbody tr")).to_have_count(1)
    console.screenshot("feeds")


def test_the_feed_form_shows_the_settings_of_the_source_its_url_names(console):
    console.login(UserFactory(username="aino.admin", role="admin"))
    page = console.page
    console.go("/feeds/")
    settings = {
        name: page.locator(f"#id_{name}")
        for name in ("host_key", "private_key", "password", "username", "key", "secret")
        + ("endpoint_url", "region", "project", "credentials_env")
    }

    def shown() -> set[str]:
        return {name for name, field in settings.items() if field.is_visible()}

    assert shown() == set()  # no source named yet
    url = page.get_by_label("URL or path")
    url.fill("sftp://drop@files.example.com/out/products.csv")
    expect(settings["host_key"]).to_be_visible()
    assert shown() == {"host_key", "private_key", "password", "credentials_env"}
    settings["password"].fill("typed-for-sftp")
    url.fill("https://files.example.com/products.csv")
    expect(settings["username"]).to_be_visible()
    assert shown() == {"username", "password", "credentials_env"}
    url.fill("/srv/feeds/products.csv")
    expect(settings["username"]).to_be_hidden()
    assert shown() == set()
    url.fill("s3://drop/products.csv")
    expect(settings["key"]).to_be_visible()
    assert shown() == {"key", "secret", "endpoint_url", "region", "credentials_env"}
    # What was typed for another source is not sent: the s3 feed is added without it.
    page.get_by_label("Name", exact=True).fill("bucket")
    page.locator("#id_every").fill("1h")
    settings["key"].fill("AKIA123")
    settings["secret"].fill("s3-secret-value")
    page.get_by_role("button", name="Add feed").click()
    expect(page.get_by_text("Feed bucket added")).to_be_visible()
    # The stored feed's form shows its own source's settings from the start.
    expect(settings["region"]).to_be_visible()
    assert shown() == {"key", "secret", "endpoint_url", "region", "credentials_env"}
    assert credentials_decrypt(Feed.objects.get().credentials_encrypted) == {
        "key": "AKIA123",
        "secret": "s3-secret-value",
    }


def test_alerts_and_the_stock_out_check(console, sandbox, smtp_inbox, webhook_inbox):
    catalog = CatalogFactory(name="Groceries", citrusad_id="cat-groceries")
    products = [
        ProductFactory(catalog=catalog, gtin=f"0641489340{n:04d}", inventory=8, name=f"Item {n}")
        for n in range(6)
    ]
    for product in products[:4]:
        product_set_stock(product=product, state="out", actor=None)
    sync_drain(destination="citrusad", kind="product", time_budget=10)
    sandbox.configure(api_keys={"some-other-key": "sandbox-team"})  # CitrusAd refuses our key
    product_set_stock(product=products[4], state="out", actor=None)
    sync_drain(destination="citrusad", kind="product", time_budget=10)
    AlertEvaluation().run()
    assert smtp_inbox.messages and webhook_inbox.posts
    sandbox.configure(api_keys={"sandbox-citrusad-key": "sandbox-team"})
    stockout_check_in_process()

    support = UserFactory(username="mikko.support", role="support")
    console.login(support)
    page = console.page
    expect(page.locator("#open-alerts")).to_contain_text("CitrusAd is paused")
    expect(page.locator("#stockout-check")).to_contain_text(
        "Stock-outs confirmed dark in CitrusAd: 4 of 5"
    )
    console.screenshot("dashboard-alerts")
    console.go("/alerts/")
    page.get_by_role("button", name="Acknowledge").click()
    expect(page.locator("#live")).to_contain_text("mikko.support at")
    console.screenshot("alerts")
    console.go(f"/products/{products[0].pk}/")
    expect(page.locator("#verified-dark")).to_contain_text("inventory 0")
