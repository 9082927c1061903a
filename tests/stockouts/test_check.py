"""The stock-out check against the sandbox over real HTTP: asked one by one, re-sent, re-asked."""

import pytest
import requests
from django.utils import timezone

from syncs.alerts.evaluation import AlertEvaluation
from syncs.models import (
    Incident,
    IncidentKind,
    Product,
    StockoutCheck,
    StockoutCheckItem,
    StockoutCheckStatus,
    StockoutFinding,
)
from syncs.services.products import product_set_stock
from syncs.services.push import sync_drain
from syncs.services.stockouts import (
    stockout_check_in_process,
    stockout_check_run,
    stockout_check_start,
    stockout_recheck,
)
from syncs.stockouts import checks
from tests.factories import CatalogFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.STOCKOUT_CHECK_RATE = 100
    settings.STOCKOUT_RECHECK_MINUTES = 0
    settings.ALERT_EMAILS, settings.ALERT_WEBHOOK_URL = [], ""


def _push():
    sync_drain(destination="citrusad", kind="product", time_budget=10)


def _drift(sandbox, catalog, gtin, inventory):
    """Someone (another integration, a manual edit in CitrusAd) sets the product live again."""
    response = requests.post(
        f"{sandbox.url}/v1/catalog-products",
        params={"teamId": "sandbox-team"},
        headers={"Authorization": "Basic sandbox-citrusad-key"},
        json={
            "catalogProducts": [
                {"catalogId": catalog.citrusad_id, "gtin": gtin, "inventory": inventory}
            ]
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def stocked_out(sandbox):
    catalog = CatalogFactory(citrusad_id="cat-dark")
    products = [ProductFactory(catalog=catalog, gtin=f"SKU-{n}", inventory=5) for n in range(4)]
    ProductFactory(catalog=catalog, gtin="IN-STOCK", inventory=3)
    for product in products:
        product_set_stock(product=product, state="out", actor=None)
    _push()
    return catalog, products


def test_dark_live_and_missing_products_are_told_apart_and_resent(sandbox, stocked_out):
    catalog, products = stocked_out
    _drift(sandbox, catalog, "SKU-1", 7)
    requests.delete(
        f"{sandbox.url}/v1/catalog-products/cat-dark/SKU-2",
        headers={"Authorization": "Basic sandbox-citrusad-key"},
        timeout=10,
    )
    before = len(sandbox.received(path_prefix="/v1/catalog-products/cat-dark", method="GET"))

    check = stockout_check_in_process()
    assert check.status == StockoutCheckStatus.DONE
    assert (check.products, check.checked, check.dark, check.resent) == (4, 4, 2, 2)
    assert check.message == "2 of 4 stocked-out products confirmed dark in CitrusAd; 2 re-sent."
    gets = sandbox.received(path_prefix="/v1/catalog-products/cat-dark", method="GET")[before:]
    assert sorted(r.path.rsplit("/", 1)[1] for r in gets) == ["SKU-0", "SKU-1", "SKU-2", "SKU-3"]
    findings = dict(StockoutCheckItem.objects.values_list("product__gtin", "finding"))
    assert findings == {
        "SKU-0": StockoutFinding.DARK,
        "SKU-1": StockoutFinding.LIVE,
        "SKU-2": StockoutFinding.MISSING,
        "SKU-3": StockoutFinding.DARK,
    }
    assert StockoutCheckItem.objects.get(product__gtin="SKU-1").remote_inventory == 7

    _push()  # the re-sends go out first in line
    assert sandbox.product("cat-dark", "SKU-1")["inventory"] == 0
    assert sandbox.product("cat-dark", "SKU-2")["inventory"] == 0
    assert stockout_recheck() == 2
    assert set(
        StockoutCheckItem.objects.filter(rechecked_at__isnull=False).values_list(
            "recheck_finding", flat=True
        )
    ) == {StockoutFinding.DARK}
    AlertEvaluation().run()
    assert not Incident.objects.filter(kind=IncidentKind.STOCKOUTS_LIVE).exists()


def test_a_mismatch_that_persists_after_the_resend_opens_an_alert(sandbox, stocked_out):
    catalog, _ = stocked_out
    _drift(sandbox, catalog, "SKU-3", 12)
    sandbox.configure(reject_gtins=["SKU-3"])  # CitrusAd keeps refusing our re-send
    stockout_check_in_process()
    _push()
    assert stockout_recheck() == 1  # the re-send failed: asked again at once
    item = StockoutCheckItem.objects.get(product__gtin="SKU-3")
    assert item.recheck_finding == StockoutFinding.LIVE and item.persists
    AlertEvaluation().run()
    (incident,) = Incident.objects.filter(kind=IncidentKind.STOCKOUTS_LIVE)
    assert incident.title == "1 stocked-out products are still live in CitrusAd after a re-send"
    assert "SKU-3" in incident.detail

    sandbox.configure(reject_gtins=[])
    Product.objects.filter(gtin="SKU-3").update(inventory=0)
    stockout_check_in_process()  # the next night: the re-send lands, the recheck finds it dark
    _push()
    stockout_recheck()
    AlertEvaluation().run()
    incident.refresh_from_db()
    assert incident.status == "resolved"


def test_only_one_check_runs_at_a_time(sandbox, stocked_out):
    first = stockout_check_start(trigger="manual", enqueue=False)
    assert first is not None
    assert stockout_check_start(trigger="manual", enqueue=False) is None
    assert stockout_check_in_process() is None


def test_a_check_out_of_time_is_continued_from_its_cursor(sandbox, stocked_out):
    check = stockout_check_start(trigger="schedule", enqueue=False)
    assert stockout_check_run(check_id=check.pk, budget=0) is False  # stopped at once
    check.refresh_from_db()
    assert check.status == StockoutCheckStatus.RUNNING and check.checked == 0
    assert stockout_check_run(check_id=check.pk, take=True) is True
    check.refresh_from_db()
    assert check.status == StockoutCheckStatus.DONE and check.checked == 4
    assert StockoutCheckItem.objects.count() == 4  # nobody asked twice


def test_refused_credentials_fail_the_check_with_a_reason(sandbox, stocked_out):
    sandbox.configure(api_keys={"another-key": "sandbox-team"})
    check = stockout_check_in_process()
    assert check.status == StockoutCheckStatus.FAILED
    assert check.message.startswith("CitrusAd refused our credentials")


def test_a_second_worker_cannot_take_a_leased_check(sandbox, stocked_out):
    check = stockout_check_start(trigger="schedule", enqueue=False)
    assert not checks.check_take(check_id=check.pk)
    check.__class__.objects.filter(pk=check.pk).update(lease_expires_at=timezone.now())
    assert checks.check_take(check_id=check.pk)


def test_the_dashboard_line_and_the_product_page(client, sandbox, stocked_out, support):
    catalog, products = stocked_out
    _drift(sandbox, catalog, "SKU-1", 7)
    client.force_login(support)
    page = client.get("/").content.decode()
    assert "Not checked yet" in page and "Check now</button>" in page
    response = client.post("/stockouts/check/", follow=True)
    assert (
        "Stock-out check started: CitrusAd is asked about 4 products." in response.content.decode()
    )
    check = StockoutCheck.objects.get()
    stockout_check_run(check_id=check.pk)
    check.refresh_from_db()
    page = client.get("/").content.decode()
    assert (
        "Stock-outs confirmed dark in CitrusAd: <strong>3 of 4</strong>, "
        f"checked {timezone.localtime(check.finished_at):%H:%M}, 1 re-sent"
    ) in page
    dark = client.get(f"/products/{products[0].pk}/").content.decode()
    assert "Verified dark in CitrusAd" in dark and "inventory 0" in dark
    live = client.get(f"/products/{products[1].pk}/").content.decode()
    assert "not yet: the nightly stock-out check asks CitrusAd" in live


def test_check_now_needs_the_role(client, merchandiser, sandbox):
    client.force_login(merchandiser)
    assert client.post("/stockouts/check/").status_code == 403
    assert client.get("/stockouts/check/").status_code == 405


def test_the_command_prints_the_figures(sandbox, stocked_out):
    import io

    from django.core.management import call_command

    catalog, _ = stocked_out
    _drift(sandbox, catalog, "SKU-0", 3)
    out = io.StringIO()
    call_command("stockout_check", stdout=out)
    text = out.getvalue()
    assert "3 of 4 stocked-out products confirmed dark in CitrusAd; 1 re-sent." in text
    assert "re-sent cat-dark/SKU-0: Live (inventory above 0) (3)" in text
