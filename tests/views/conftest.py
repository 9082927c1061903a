import datetime

import pytest
from django.utils import timezone

from syncs.models import BatchOutcome, SyncBatch, SyncState, SyncStatus
from tests.factories import CatalogFactory, CustomerFactory, OrderItemFactory, ProductFactory


def make_state(obj, *, kind, status=SyncStatus.PENDING, destination="citrusad", **extra):
    version = getattr(obj, "version", 1)
    return SyncState.objects.create(
        destination=destination,
        kind=kind,
        object_id=obj.pk,
        wanted_version=version,
        confirmed_version=version if status == SyncStatus.CONFIRMED else 0,
        status=status,
        changed_at=extra.pop("changed_at", timezone.now() - datetime.timedelta(minutes=5)),
        **extra,
    )


def make_batch(
    *, keys=(), outcome=BatchOutcome.OK, kind="product", destination="citrusad", **extra
):
    return SyncBatch.objects.create(
        destination=destination,
        kind=kind,
        endpoint="/v1/catalog-products",
        item_count=len(keys),
        keys=list(keys),
        outcome=outcome,
        status_code=extra.pop("status_code", 200 if outcome == BatchOutcome.OK else 400),
        duration_ms=extra.pop("duration_ms", 120),
        **extra,
    )


@pytest.fixture
def catalog(db):
    return CatalogFactory(name="Groceries")


@pytest.fixture
def product(catalog):
    return ProductFactory(catalog=catalog, gtin="07310865071705", name="Oat drink barista 1 l")


@pytest.fixture
def customer(db):
    return CustomerFactory(external_id="CUST-42", email="ada@example.org")


@pytest.fixture
def order(db):
    return OrderItemFactory(order__order_id="ORD-1001", order__customer_id="CUST-42").order


@pytest.fixture(autouse=True)
def fresh_cache():
    """The dashboard caches its confirmed counts; each test starts without them."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
