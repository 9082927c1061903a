"""Every page in a real browser with realistic data: no console or CSP errors, and a screenshot
of each under docs/screenshots/ for the README."""

import datetime
import random

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from syncs.models import AuditEvent, Destination, SyncBatch
from tests.factories import (
    CatalogFactory,
    CustomerFactory,
    OrderItemFactory,
    ProductFactory,
    UserFactory,
)
from tests.views.conftest import make_batch, make_state

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

NAMES = [
    "Oat drink barista 1 l",
    "Rye crisp bread 250 g",
    "Dark roast coffee 500 g",
    "Greek yoghurt 10% 1 kg",
    "Blueberries frozen 250 g",
    "Salted butter 500 g",
    "Whole wheat pasta 400 g",
    "Sparkling water lemon 1.5 l",
]


def _seed():
    rng = random.Random(7)
    now = timezone.now()
    pantry, frozen = CatalogFactory(name="Pantry"), CatalogFactory(name="Frozen")
    products = []
    for i, name in enumerate(NAMES):
        product = ProductFactory(
            catalog=pantry if i % 3 else frozen,
            gtin=f"0641489340{i:04d}",
            name=name,
            inventory=0 if i == 3 else rng.randint(3, 80),
            restore_inventory=14 if i == 3 else None,
        )
        products.append(product)
    statuses = ["confirmed", "confirmed", "pending", "failed", "confirmed", "in_flight"]
    for product, status in zip(products, statuses * 2, strict=False):
        batch = make_batch(
            keys=[product.gtin],
            outcome="rejected" if status == "failed" else "ok",
            error="catalogProducts[0].price: must be a positive number"
            if status == "failed"
            else "",
            request_body={"catalogProducts": [{"gtin": product.gtin, "price": "-1"}]}
            if status == "failed"
            else None,
            response_body='{"message": "Validation failed", "additionalInfo": '
            '[{"code": "INVALID", "message": "price must be positive"}]}'
            if status == "failed"
            else "",
        )
        make_state(
            product,
            kind="product",
            status=status,
            last_batch=batch,
            last_error=batch.error,
            changed_at=now - datetime.timedelta(minutes=rng.randint(1, 50)),
        )
    for hour in range(24):
        for _ in range(rng.randint(1, 6)):
            batch = make_batch(
                keys=[f"{rng.randint(10**12, 10**13)}" for _ in range(rng.randint(5, 100))],
                outcome="ok" if rng.random() > 0.08 else "transient",
                duration_ms=rng.randint(80, 900),
            )
            SyncBatch.objects.filter(pk=batch.pk).update(
                created_at=now - datetime.timedelta(hours=hour, minutes=rng.randint(0, 59))
            )
    customers = [
        CustomerFactory(external_id=f"CUST-{i:05d}", first_name=f, last_name=last)
        for i, (f, last) in enumerate(
            [("Aino", "Virtanen"), ("Mikko", "Korhonen"), ("Ada", "Lind")]
        )
    ]
    make_state(customers[0], kind="customer", status="confirmed")
    make_state(
        customers[0],
        kind="customer",
        status="failed",
        destination="custobar",
        last_error="phone_number: invalid",
    )
    for i, customer in enumerate(customers):
        item = OrderItemFactory(
            order__order_id=f"ORD-2026-{i:04d}",
            order__customer_id=customer.external_id,
            gtin=products[i].gtin,
        )
        OrderItemFactory(order=item.order, gtin=products[i + 1].gtin, position=1)
        make_state(item.order, kind="order", status="confirmed")
    admin = UserFactory(username="aino.admin", role="admin")
    for product in products[:4]:
        AuditEvent.objects.create(
            actor=admin,
            actor_name="aino.admin",
            action="product.stock_out",
            object_kind="product",
            object_id=str(product.pk),
            object_repr=str(product),
            before={"inventory": 14},
            after={"inventory": 0},
        )
    Destination.objects.filter(name="custobar").update(
        paused=True, paused_reason="Custobar answered 401 Unauthorized.", paused_at=now
    )
    return admin, products, customers


def test_every_page_renders_cleanly_with_a_screenshot(console, sandbox):
    admin, products, customers = _seed()
    console.login(admin)
    page = console.page

    console.go("/")
    expect(page.get_by_text("Custobar is paused")).to_be_visible()
    expect(page.get_by_text("Demo sandbox in use")).to_be_visible()
    console.screenshot("dashboard")
    page.set_viewport_size({"width": 820, "height": 1180})
    console.screenshot("dashboard-tablet")
    page.set_viewport_size({"width": 1280, "height": 860})

    console.go("/history/")
    expect(page.locator("#results tbody tr").first).to_be_visible()
    console.screenshot("history")
    page.get_by_label("Carried GTIN / customer id / order id").fill(products[3].gtin)
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#results tbody tr")).to_have_count(1)
    page.locator("#results tbody a").first.click()
    expect(page.get_by_role("heading", name="Request and response")).to_be_visible()
    console.screenshot("batch-detail")

    console.go("/products/?q=06414893")
    expect(page.locator("#results tbody tr")).to_have_count(len(products))
    page.get_by_role("button", name="Stock out all matching this search…").click()
    # One of them is out of stock already: the confirmation counts only what would change.
    expect(page.locator("h1")).to_contain_text(f"Stock out {len(products) - 1} products?")
    console.screenshot("bulk-stock-out")

    console.go("/customers/?q=CUST-00000")
    page.get_by_role("link", name="CUST-00000").click()
    expect(page.get_by_text("phone_number: invalid")).to_be_visible()
    console.screenshot("customer-detail")
    console.go("/customers/")
    page.get_by_label("Customer id, email, phone or name").fill("a")
    page.get_by_label("Customer id, email, phone or name").press("Enter")
    expect(page.locator("#results tbody tr").first).to_be_visible()
    console.screenshot("customers")

    console.go("/orders/?q=ORD-2026")
    expect(page.locator("#results tbody tr")).to_have_count(3)
    console.screenshot("orders")
    page.get_by_role("link", name="ORD-2026-0000").click()
    expect(page.get_by_role("heading", name="Items")).to_be_visible()
    console.screenshot("order-detail")

    console.go("/catalogs/")
    console.screenshot("catalogs")
    console.go("/audit/")
    # One row per entry; each holds its own small before/after table.
    expect(page.locator("#results tr[id^=event-]")).to_have_count(4)
    console.screenshot("audit-log")

    page.get_by_role("button", name="Log out").click()
    console.screenshot("login")
