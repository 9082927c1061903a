"""Property tests: any valid row gives a payload the sandbox accepts, and text survives the trip.

Rows are built and checked with the model's own validation (`full_clean`), then pushed through
the real client to the sandbox over HTTP and read back.
"""

import datetime
import string
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from syncs.destinations import destination_client
from syncs.models import Catalog, Customer, Order, OrderItem, Product
from syncs.models.validators import MAX_LIST_ITEM_LENGTH
from syncs.remotes import payloads

pytestmark = pytest.mark.django_db

PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Any printable text, every script; PostgreSQL text cannot hold NUL, so neither can a row.
unicode_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=60,
)
list_item = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=MAX_LIST_ITEM_LENGTH,
)
code = st.text(alphabet=string.ascii_letters + string.digits + "-_./ ", min_size=1, max_size=50)
money = st.decimals(min_value=0, max_value=Decimal("9999999999.99"), places=2)
signed_money = st.decimals(
    min_value=Decimal("-9999999999.99"), max_value=Decimal("9999999999.99"), places=2
)


@st.composite
def products(draw):
    catalog = Catalog(name="P", citrusad_id=draw(st.uuids()).hex)
    product = Product(
        catalog=catalog,
        gtin=draw(code.filter(lambda s: s.strip() == s)),
        seller_id=draw(st.one_of(st.just(""), code)),
        inventory=draw(st.integers(min_value=0, max_value=2**31 - 1)),
        price=draw(st.one_of(st.none(), money)),
        profit=draw(st.one_of(st.none(), signed_money)),
        name=draw(st.one_of(st.just(""), unicode_text)),
        image_url=draw(st.sampled_from(["", "https://img.example.org/p/ä.jpg"])),
        tags=draw(st.lists(list_item, max_size=4)),
        filters=draw(
            st.lists(st.one_of(list_item, st.sampled_from(["hfss:true", "hfss:false"])), max_size=4)
        ),
        groups=draw(st.lists(list_item, max_size=3)),
    )
    return product


@PROPERTY_SETTINGS
@given(product=products())
def test_any_valid_product_is_accepted_and_reads_back(sandbox, product):
    product.full_clean(exclude=["catalog"], validate_unique=False)
    payload = payloads.catalog_product_payload(product)
    client = destination_client("citrusad")
    (answered,) = client.upsert_catalog_products(items=[payload]).items
    (stored,) = client.get_catalog_product(
        catalog_id=payload["catalogId"], gtin=product.gtin, seller_id=product.seller_id
    ).items
    assert stored == answered
    assert stored["tags"] == payload["tags"]
    assert stored["filters"] == list(product.filters)
    assert stored["inventory"] == product.inventory
    if product.name:
        assert f"name:{product.name}" in stored["tags"]
    if product.price is not None:
        assert Decimal(str(stored["price"])) == product.price


@st.composite
def custobar_customers(draw, external_id: str):
    optional_bool = st.one_of(st.none(), st.booleans())
    when = st.datetimes(
        min_value=datetime.datetime(1990, 1, 1), max_value=datetime.datetime(2030, 1, 1)
    ).map(lambda d: d.replace(tzinfo=datetime.UTC))
    return Customer(
        external_id=external_id,
        email=draw(st.sampled_from(["", "anna@example.org", "anna.b@example.fi"])),
        phone_number=draw(st.sampled_from(["", "+358401234567"])),
        first_name=draw(st.one_of(st.just(""), unicode_text)),
        last_name=draw(st.one_of(st.just(""), unicode_text)),
        city=draw(st.one_of(st.just(""), unicode_text)),
        country=draw(st.sampled_from(["", "FI", "se", "GB"])),
        language=draw(st.sampled_from(["", "fi", "EN", "sv"])),
        can_email=draw(optional_bool),
        can_sms=draw(optional_bool),
        can_profile=draw(optional_bool),
        date_joined=draw(st.one_of(st.none(), when)),
        birth_date=draw(st.one_of(st.none(), st.dates(min_value=datetime.date(1900, 1, 1)))),
        tags=draw(st.lists(unicode_text, max_size=4, unique=True)),
        mailing_lists=draw(st.lists(unicode_text, max_size=3, unique=True)),
        company_fields=draw(
            st.dictionaries(
                st.sampled_from(["ACME__tier", "ACME__points", "ACME__vip"]),
                st.one_of(unicode_text, st.integers(), st.booleans()),
                max_size=3,
            )
        ),
        targeting_data=draw(st.dictionaries(unicode_text, unicode_text, max_size=3)),
    )


def comparable(record: dict) -> dict:
    """Tags and mailing lists are sets in Custobar: compare them without order."""
    return {
        key: sorted(value) if key in ("tags", "mailing_lists") else value
        for key, value in record.items()
        if value != []
    }


@PROPERTY_SETTINGS
@given(data=st.data())
def test_custobar_partial_updates_converge_to_the_row(sandbox, data):
    """Full upload, then a partial update computed against the snapshot: Custobar then holds
    exactly the new row, whatever changed (unicode included)."""
    sandbox.reset()
    external_id = data.draw(st.from_regex(r"[A-Za-z0-9-]{1,20}", fullmatch=True))
    before = data.draw(custobar_customers(external_id))
    after = data.draw(custobar_customers(external_id))
    for row in (before, after):
        row.full_clean(validate_unique=False, validate_constraints=False)
    client = destination_client("custobar")
    client.upload_customers(items=[payloads.custobar_customer_payload(before, previous=None)])
    previous = payloads.custobar_customer_snapshot(before)
    assert comparable(sandbox.custobar_customer(external_id)) == comparable(previous)
    client.upload_customers(items=[payloads.custobar_customer_payload(after, previous=previous)])
    expected = payloads.custobar_customer_snapshot(after)
    assert comparable(sandbox.custobar_customer(external_id)) == comparable(expected)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_any_valid_citrusad_customer_is_accepted(sandbox, data):
    customer = data.draw(custobar_customers("C-1"))
    payload = payloads.citrusad_customer_payload(customer)
    (answered,) = destination_client("citrusad").upsert_customers(items=[payload]).items
    assert answered["id"] == "C-1"
    assert answered["targetingData"] == customer.targeting_data


@st.composite
def order_items(draw):
    return OrderItem(
        gtin=draw(code),
        quantity=draw(st.integers(min_value=0, max_value=10_000)),
        regular_unit_price=draw(money),
        total_order_item_price_after_discounts=draw(money),
        ad_id=draw(st.one_of(st.just(""), unicode_text)),
        citrus_discount_amount=draw(st.one_of(st.none(), money)),
        substituted_for=draw(st.one_of(st.just(""), code)),
    )


@PROPERTY_SETTINGS
@given(
    items=st.lists(order_items(), min_size=1, max_size=5),
    when=st.datetimes(
        min_value=datetime.datetime(2000, 1, 1), max_value=datetime.datetime(2100, 1, 1)
    ),
    customer_id=st.one_of(st.just(""), code),
    session_id=st.one_of(st.just(""), unicode_text),
    ad_ids=st.lists(code, max_size=3),
)
def test_any_valid_order_is_accepted_with_every_item(
    sandbox, items, when, customer_id, session_id, ad_ids
):
    assume(all(item.gtin.strip() for item in items))
    order = Order.objects.create(
        order_id="P-1",
        customer_id=customer_id,
        session_id=session_id,
        ad_ids=ad_ids,
        order_date=when.replace(tzinfo=datetime.UTC),
    )
    try:
        for position, item in enumerate(items):
            item.order = order
            item.position = position
            item.full_clean()
            item.save()
        payload = payloads.order_payload(order)
        (answered,) = destination_client("citrusad").upsert_orders(items=[payload]).items
        assert answered["id"] == "P-1"
        assert [i["gtin"] for i in answered["orderItems"]] == [i.gtin for i in items]
        assert [i["quantity"] for i in answered["orderItems"]] == [i.quantity for i in items]
    finally:
        order.delete()
