"""Contract: every documented example request is what the payload builders produce from the
equivalent rows, and the sandbox accepts it and answers with the documented shape.

The examples are copied verbatim from the platforms' published API docs into
`reference_examples.json`, with the source file and line of each. Templates that are not JSON
(`"quantity": number`) are schemas, not examples, and are left out.
"""

import datetime
import json
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from syncs.destinations import destination_client
from syncs.models import Catalog, Customer, Order, OrderItem, Product
from syncs.remotes import payloads
from syncs.sandbox import DEFAULT_API_KEY, DEFAULT_CUSTOBAR_TOKEN

EXAMPLES = json.loads((Path(__file__).parent / "reference_examples.json").read_text())

# Where a documented response contradicts its own request, the docs are wrong, not the sandbox:
DOC_INCONSISTENCIES = {
    # The second product's GTIN changes between request and response, and the response object
    # has "tags" twice (JSON keeps the last, a list of made-up words).
    "product_multiple": {
        "catalogProducts[1].gtin",
        "catalogProducts[0].tags",
        "catalogProducts[1].tags",
    },
    # No id was sent, so one is generated; and the response's adId differs by one letter from
    # the request's ("upxF" / "uLxF").
    "order_minimal": {"orders[0].id", "orders[0].orderItems[0].adId"},
}


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=datetime.UTC)


# --- the rows equivalent to each example ---

DOC_CATALOG_ID = "628dbe95-2ec9-4e07-881d-3e9f92ab2e0b"
IMAGE = "https://your.image.host.com/image.jpg"
COVERGIRL = "Covergirl Clean 120 Creamy Natural Liquid Foundation30mL"
COVERGIRL_FILTERS = [
    "category:Health&Beauty",
    "category:Grocery",
    "Brand:Covergirl",
    "Special_Flag:0",
]


def covergirl(catalog, **overrides) -> Product:
    fields = {
        "catalog": catalog,
        "gtin": "23556578965543",
        "inventory": 50,
        "price": Decimal("19.99"),
        "image_url": IMAGE,
        "name": COVERGIRL,
        "filters": COVERGIRL_FILTERS,
        **overrides,
    }
    return Product.objects.create(**fields)


def product_rows(name: str) -> list[Product]:
    catalog = Catalog.objects.create(name="Docs", citrusad_id=DOC_CATALOG_ID)
    if name == "product_standard":
        return [covergirl(catalog)]
    if name == "product_location":
        return [covergirl(catalog, filters=[*COVERGIRL_FILTERS, "location:123", "location:ABC"])]
    if name == "product_hfss":
        filters = ["hfss:true", *COVERGIRL_FILTERS, "location:123", "location:ABC"]
        return [covergirl(catalog, filters=filters)]
    if name == "product_inventory_zero":
        return [covergirl(catalog, inventory=0)]
    if name == "product_multiple":
        kelloggs = Product.objects.create(
            catalog=catalog,
            gtin="23556578965738",
            inventory=26,
            price=Decimal("8.50"),
            profit=Decimal("0.50"),
            image_url=IMAGE,
            name="Kelloggs Froot Loops Breakfast Cereal 500g",
            filters=[
                "Brand:Kelloggs",
                "category:Pantry",
                "category:BreakfastFoods",
                "category:Cereals",
                "Special_Flag:0",
            ],
        )
        return [covergirl(catalog, profit=Decimal("1.50")), kelloggs]
    raise AssertionError(name)


def citrusad_customer_rows(name: str) -> list[Customer]:
    corporate = Customer.objects.create(
        external_id="i4358f9b-bbb9-49fb-93fe-3ad481ce564",
        targeting_data={"customer_type": "Corporate"},
    )
    if name == "customer_single":
        return [corporate]
    retail = Customer.objects.create(
        external_id="c7792468-07ea-4cc3-9b1a-975bb43dfa02",
        targeting_data={"customer_type": "Retail"},
    )
    return [corporate, retail]


def order_with_item(order_id, customer_id, when, **item) -> Order:
    order = Order.objects.create(order_id=order_id, customer_id=customer_id, order_date=when)
    OrderItem.objects.create(order=order, position=0, **item)
    return order


def order_rows(name: str) -> list[Order]:
    if name == "order_minimal":
        return [
            order_with_item(
                "minimal-1",
                "",
                utc(2019, 12, 2, 15, 0),
                gtin="9891998566P",
                quantity=3,
                regular_unit_price=Decimal("9.99"),
                total_order_item_price_after_discounts=Decimal("9.99"),
                ad_id="display_zeowj3jV8VRxB1w_iEPy_upxFPc5ODkxNTY2UA==",
            )
        ]
    first = order_with_item(
        "1985988a-6f9f",
        "b1445104-1c4a-4c4c",
        utc(2019, 12, 2, 15, 0),
        gtin="9891998566P" if name == "order_detailed" else "9891566P",
        quantity=3,
        regular_unit_price=Decimal("9.99"),
        total_order_item_price_after_discounts=Decimal("6.99"),
        ad_id="display_zeowj3jV8VRxB1w_iEPy_uLxFPc5ODkxNTY2UA==",
        citrus_discount_amount=Decimal("3.00"),
    )
    if name == "order_detailed":
        return [first]
    second = order_with_item(
        "1985988a-7a3s",
        "t4345104-1c4a-9a0d",
        utc(2019, 12, 2, 15, 1),
        gtin="9079153R",
        quantity=1,
        regular_unit_price=Decimal("19.99"),
        total_order_item_price_after_discounts=Decimal("19.99"),
        ad_id="display_wexcre3jV8VRxB1w_iEPy_uLxFPc5ODkxBRA2UAW3",
        citrus_discount_amount=Decimal("0.00"),
    )
    return [first, second]


DOC_ORDER_TEAM = "a7e5cat7-9964-4ff3-bbb1-94bf9b53a366"


# --- builders produce the documented requests ---


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name",
    [
        "product_standard",
        "product_location",
        "product_hfss",
        "product_multiple",
        "product_inventory_zero",
    ],
)
def test_product_builder_produces_the_documented_request(name):
    built = [payloads.catalog_product_payload(p) for p in product_rows(name)]
    assert {"catalogProducts": built} == EXAMPLES[name]["request"]
    # Key order too, as the docs write them (tags: imageurl first, then name).
    for ours, documented in zip(built, EXAMPLES[name]["request"]["catalogProducts"], strict=True):
        assert list(ours) == list(documented)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["customer_single", "customer_multiple"])
def test_citrusad_customer_builder_produces_the_documented_request(name):
    built = [payloads.citrusad_customer_payload(c) for c in citrusad_customer_rows(name)]
    assert {"customers": built} == EXAMPLES[name]["request"]


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["order_detailed", "order_multiple"])
def test_order_builder_produces_the_documented_detailed_request(name, settings):
    settings.CITRUSAD_TEAM_ID = DOC_ORDER_TEAM
    built = [payloads.order_payload(o) for o in order_rows(name)]
    assert {"orders": built} == EXAMPLES[name]["request"]


@pytest.mark.django_db
def test_order_builder_covers_the_minimal_request(settings):
    """The minimal context leaves the order id out; we always send the retailer's own id (and
    the team), so a re-sent order updates the same order instead of creating another."""
    settings.CITRUSAD_TEAM_ID = DOC_ORDER_TEAM
    (built,) = [payloads.order_payload(o) for o in order_rows("order_minimal")]
    (documented,) = EXAMPLES["order_minimal"]["request"]["orders"]
    assert {k: v for k, v in built.items() if k not in ("id", "teamId")} == documented
    assert built["id"] == "minimal-1" and built["teamId"] == DOC_ORDER_TEAM


@pytest.mark.django_db
def test_custobar_snapshot_produces_the_documented_upload():
    james = Customer.objects.create(
        external_id="3619490226",
        first_name="James",
        last_name="Carroll",
        email="james.carroll@example.org",
        can_email=True,
        phone_number="+447757138957",
        can_sms=True,
        date_joined=utc(2015, 11, 23, 13, 11, 23),
        last_login=utc(2015, 11, 25, 13, 11, 23),
        language="EN",
        tags=["kitchenware", "vip"],
        company_fields={"COMPANY__customer_group": 1},
    )
    joshua = Customer.objects.create(
        external_id="2319490132",
        first_name="Joshua",
        last_name="Stewart",
        email="josh@example.org",
        street_address="42 Red Lane",
        date_joined=utc(2015, 6, 3, 13, 11, 23),
        last_login=utc(2017, 10, 15, 3, 1, 13),
        zip_code="OX15 3PW",
        city="Epwell",
        can_sms=False,
        country="GB",
        language="EN",
        company_fields={"COMPANY__customer_group": 2},
    )
    built = [payloads.custobar_customer_payload(c, previous=None) for c in (james, joshua)]
    assert {"customers": built} == EXAMPLES["custobar_upload"]["request"]


@pytest.mark.django_db
def test_custobar_partial_update_produces_the_documented_list_edits():
    previous = {"external_id": "3619490226", "mailing_lists": ["kitchenware"]}
    james = Customer.objects.create(
        external_id="3619490226",
        first_name="James",
        last_name="Carroll",
        email="james.carroll@example.org",
        can_email=True,
        tags=["vip"],
        mailing_lists=[],
    )
    built = payloads.custobar_customer_payload(james, previous=previous)
    assert {"customers": [built]} == EXAMPLES["custobar_list_edits"]["request"]


# --- the sandbox accepts every documented request and answers the documented shape ---


def differences(documented, ours, path="") -> tuple[list[str], list[str]]:
    """(shape problems, value differences) between a documented answer and the sandbox's."""
    shape, values = [], []
    if isinstance(documented, dict):
        if not isinstance(ours, dict) or set(documented) != set(ours):
            return [f"{path}: keys {sorted(documented)} vs {sorted(ours or {})}"], values
        for key in documented:
            s, v = differences(documented[key], ours[key], f"{path}.{key}" if path else key)
            shape += s
            values += v
    elif isinstance(documented, list):
        if not isinstance(ours, list):
            return [f"{path}: a list expected"], values
        if len(documented) != len(ours):
            values.append(path)
        for index, (d, o) in enumerate(zip(documented, ours, strict=False)):
            if isinstance(d, dict | list):
                s, v = differences(d, o, f"{path}[{index}]")
                shape += s
                values += v
            elif d != o:
                values.append(path)
                break
    else:

        def kind(value):
            if isinstance(value, bool) or value is None:
                return type(value).__name__
            return "number" if isinstance(value, int | float) else type(value).__name__

        if kind(documented) != kind(ours) and documented is not None:
            shape.append(f"{path}: {kind(documented)} documented, {kind(ours)} answered")
        elif documented != ours:
            values.append(path)
    return shape, values


def post_example(sandbox, name: str, team: str) -> requests.Response:
    example = EXAMPLES[name]
    sandbox.configure(api_keys={DEFAULT_API_KEY: team})
    if example["path"].startswith("/api/"):
        headers = {"Authorization": f"Token {DEFAULT_CUSTOBAR_TOKEN}"}
    else:
        headers = {"Authorization": f"Basic {DEFAULT_API_KEY}"}
    params = {"teamId": team} if example["path"] == "/v1/catalog-products" else None
    return requests.post(
        sandbox.url + example["path"],
        json=example["request"],
        params=params,
        headers={"accept": "application/json", **headers},
        timeout=5,
    )


def documented_team(name: str) -> str:
    """The teamId the documented answer shows, so the sandbox's answer can match it exactly."""
    response = EXAMPLES[name].get("response")
    if not response:
        return "sandbox-team"
    (items,) = response.values()
    return items[0]["teamId"]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_sandbox_accepts_every_documented_request_and_answers_its_shape(sandbox, name):
    response = post_example(sandbox, name, documented_team(name))
    assert response.status_code == 200, response.text
    documented = EXAMPLES[name].get("response")
    if EXAMPLES[name]["path"].startswith("/api/"):
        assert response.json() == {"response": "ok"}
        return
    if documented is None:
        (items,) = EXAMPLES[name]["request"].values()
        (answered,) = response.json().values()
        assert len(answered) == len(items)
        return
    shape, values = differences(documented, response.json())
    assert shape == []
    assert set(values) <= DOC_INCONSISTENCIES.get(name, set()), values


@pytest.mark.django_db
def test_custobar_documented_customers_land_as_sent(sandbox):
    post_example(sandbox, "custobar_upload", "sandbox-team")
    post_example(sandbox, "custobar_list_edits", "sandbox-team")
    james = sandbox.custobar_customer("3619490226")
    assert james["tags"] == ["kitchenware", "vip"]  # "vip" was already there: added once
    assert james["phone_number"] == "+447757138957"
    assert sandbox.custobar_customer("josh@example.org")["city"] == "Epwell"


def test_documented_get_and_delete_with_seller_id(sandbox):
    client = destination_client("citrusad")
    item = {"catalogId": DOC_CATALOG_ID, "gtin": "23556578965543", "sellerId": "abc123"}
    client.upsert_catalog_products(items=[{**item, "inventory": 1}])
    got = client.get_catalog_product(
        catalog_id=DOC_CATALOG_ID, gtin="23556578965543", seller_id="abc123"
    )
    assert got.items[0]["sellerId"] == "abc123"
    client.delete_catalog_product(
        catalog_id=DOC_CATALOG_ID, gtin="23556578965543", seller_id="abc123"
    )
    get, delete = sandbox.received(path_prefix=f"/v1/catalog-products/{DOC_CATALOG_ID}/")
    assert (delete.method, delete.path) == (
        "DELETE",
        f"/v1/catalog-products/{DOC_CATALOG_ID}/23556578965543",
    )
    assert delete.query == {"sellerId": "abc123"}
    assert get.method == "GET" and get.query == {"sellerId": "abc123"}


def test_clients_send_the_documented_headers(sandbox):
    citrusad = destination_client("citrusad").http.session.headers
    assert citrusad["accept"] == "application/json"
    assert citrusad["content-type"] == "application/json"
    assert citrusad["Authorization"] == f"Basic {DEFAULT_API_KEY}"
    custobar = destination_client("custobar").http.session.headers
    assert custobar["Authorization"] == f"Token {DEFAULT_CUSTOBAR_TOKEN}"
