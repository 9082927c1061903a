"""Customers' and orders' personal data never reaches a role that may not open a customer.

Every page of the URLconf is visited (discovered, so new pages are checked too) with every row of
its model, as a merchandiser: no customer value may appear, in HTML, CSV or JSON. The same visit
as support finds them, so the markers are real.
"""

import pytest
from django.test import Client

from syncs.models import AuditEvent, BatchOutcome, ImportJob
from tests.factories import CustomerFactory, OrderItemFactory, ProductFactory, UserFactory
from tests.views.conftest import make_batch, make_state
from tests.views.page_discovery import console_pages

pytestmark = pytest.mark.django_db

EMAIL = "ada.private@example.org"
PHONE = "+358401234567"
CITY = "Kuopiojärvi"
ORDER_ID = "ORD-PRIVATE-77"
MARKERS = (EMAIL, PHONE, CITY, ORDER_ID, "CUST-PRIVATE-9")


@pytest.fixture
def personal_data(catalog, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    customer = CustomerFactory(
        external_id="CUST-PRIVATE-9", email=EMAIL, phone_number=PHONE, city=CITY
    )
    OrderItemFactory(order__order_id=ORDER_ID, order__customer_id=customer.external_id)
    product = ProductFactory(catalog=catalog)
    customer_batch = make_batch(
        keys=[customer.external_id],
        kind="customer",
        destination="custobar",
        outcome=BatchOutcome.REJECTED,
        error=f"customers[0].email: {EMAIL} is not deliverable",
        request_body={"customers": [{"email": EMAIL, "phone_number": PHONE, "city": CITY}]},
        response_body=f'{{"error": "bad", "errors": ["{EMAIL}"]}}',
    )
    order_batch = make_batch(
        keys=[ORDER_ID], kind="order", outcome=BatchOutcome.REJECTED, error=f"{ORDER_ID} refused"
    )
    make_state(
        customer,
        kind="customer",
        destination="custobar",
        status="failed",
        last_batch=customer_batch,
        last_error=f"{EMAIL} is not deliverable",
    )
    make_state(product, kind="product", status="failed", last_error="gtin refused")
    make_batch(keys=[product.gtin], outcome=BatchOutcome.REJECTED, error="gtin refused")
    AuditEvent.objects.create(
        action="customer.forget",
        object_kind="customer",
        object_id=customer.pk,
        object_repr=EMAIL,
        before={"email": EMAIL},
    )
    errors = tmp_path / "errors.csv"
    errors.write_text(f"external_id,email,error\nCUST-PRIVATE-9,{EMAIL},bad phone {PHONE}\n")
    ImportJob.objects.create(
        kind="customers",
        file_path=str(tmp_path / "upload.csv"),
        error_file_path=str(errors),
        rows_invalid=1,
        errors=[{"line": 2, "message": f"bad phone {PHONE}", "row": {"email": EMAIL}}],
    )
    return {"customer_batch": customer_batch, "order_batch": order_batch}


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _visit_every_page(client) -> dict[str, str]:
    """GET every page with every row of its model (at most 20): url -> body."""
    bodies = {}
    for page in console_pages():
        model = page.model
        ids = list(model.objects.values_list("pk", flat=True)[:20]) if model else [1]
        values = [
            {
                name: str(pk) if converter in ("id", "int") else "citrusad"
                for converter, name in page.parameters
            }
            for pk in ids or [1]
        ]
        for path in {page.path(v) for v in values}:
            for headers in ({}, {"HX-Request": "true"}):
                response = client.get(path, headers=headers)
                if response.status_code == 200:
                    bodies[f"{path} {headers}"] = _body(response)
    return bodies


def _leaks(bodies: dict[str, str]) -> dict[str, list[str]]:
    found = {url: [m for m in MARKERS if m in body] for url, body in bodies.items()}
    return {url: markers for url, markers in found.items() if markers}


def test_a_merchandiser_sees_no_customer_or_order_value_anywhere(personal_data):
    client = Client()
    client.force_login(UserFactory(role="merchandiser"))
    bodies = _visit_every_page(client)
    assert any("/history/" in url for url in bodies), "the visit reached sync history"
    assert _leaks(bodies) == {}


def test_support_sees_them_where_they_belong(personal_data):
    client = Client()
    client.force_login(UserFactory(role="support"))
    leaks = _leaks(_visit_every_page(client))
    batch_page = f"/history/{personal_data['customer_batch'].pk}/ {{}}"
    assert set(leaks[batch_page]) >= {EMAIL, PHONE, CITY}
    assert any(EMAIL in markers for url, markers in leaks.items() if url.startswith("/ "))


def test_a_merchandiser_sees_that_a_customer_batch_exists_without_its_contents(
    client, merchandiser, personal_data
):
    client.force_login(merchandiser)
    batch = personal_data["customer_batch"]
    listing = client.get("/history/").content.decode()
    assert f'href="/history/{batch.pk}/"' in listing
    page = client.get(f"/history/{batch.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Customers" in html and "Rejected" in html
    assert "support role" in html  # says why the contents are not shown
    for marker in MARKERS:
        assert marker not in html


def test_a_merchandiser_cannot_find_batches_by_a_customer_id(client, merchandiser, personal_data):
    client.force_login(merchandiser)
    html = client.get("/history/", {"key": "CUST-PRIVATE-9"}).content.decode()
    assert f"/history/{personal_data['customer_batch'].pk}/" not in html
