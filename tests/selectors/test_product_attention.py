"""Products that need a person (failed, outcome unknown) searched with words and a catalog.

PostgreSQL answers these from syncs_product_attention, kept by triggers on the sync states (the
product_attention migration); SQLite filters the states directly. Whatever moves the states, the
search must find exactly the products whose CitrusAd state is failed or unknown now.
"""

import pytest
from django.db import connection
from django.db.models import F
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from syncs.models import Product, SyncKind, SyncState, SyncStatus
from syncs.search import fold
from syncs.selectors.products import NEEDS_PERSON, product_search, product_search_page
from syncs.services.push.leases import lease_take
from syncs.services.sync_state import (
    sync_state_back_off,
    sync_state_claim,
    sync_state_confirm,
    sync_state_fail,
    sync_state_forget,
    sync_state_mark_changed,
    sync_state_release,
    sync_state_resolve,
    sync_state_retry,
    sync_state_unknown,
)
from tests.factories import CatalogFactory, ProductFactory
from tests.views.conftest import make_batch, make_state

pytestmark = pytest.mark.django_db

NAMES = ["Rye bread", "Dark rye crisp", "Crème brûlée", "Oat drink"]
WORDS = ["rye", "creme", "oat", "dark rye"]


def _citrusad_states():
    return SyncState.objects.filter(destination="citrusad", kind=SyncKind.PRODUCT)


def _expected(*, sync, q="", catalog_id=None):
    """The products the search must find, worked out in Python from the states themselves."""
    ids = set(_citrusad_states().filter(status=sync).values_list("object_id", flat=True))
    found = set()
    for product in Product.objects.filter(pk__in=ids):
        name_words = fold(product.name).split()
        wanted = fold(q).split()
        starts = all(any(w.startswith(word) for w in name_words) for word in wanted)
        if starts and catalog_id in (None, product.catalog_id):
            found.add(product.pk)
    return found


def _assert_search_agrees(catalogs):
    for sync in NEEDS_PERSON:
        for q in ["", *WORDS]:
            for catalog_id in (None, *(c.pk for c in catalogs)):
                found = product_search(q=q, sync=sync, catalog_id=catalog_id)
                assert set(found.values_list("pk", flat=True)) == _expected(
                    sync=sync, q=q, catalog_id=catalog_id
                ), (sync, q, catalog_id)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT product_id, status FROM syncs_product_attention")
            kept = set(cursor.fetchall())
        states = _citrusad_states().filter(status__in=NEEDS_PERSON)
        assert kept == set(states.values_list("object_id", "status"))


def _push(product, outcome):
    """Claim every due CitrusAd product row, settle `product`'s as `outcome`, hand back the rest."""
    lease = lease_take(destination="citrusad", kind=SyncKind.PRODUCT).pk
    claimed = sync_state_claim(destination="citrusad", kind=SyncKind.PRODUCT, lease=lease, limit=50)
    mine = [row.pk for row in claimed if row.object_id == product.pk]
    if mine:
        batch = make_batch(outcome="ok" if outcome == "confirm" else "rejected")
        if outcome == "confirm":
            sent = {row.wanted_version: [row.pk] for row in claimed if row.pk in mine}
            sync_state_confirm(lease=lease, sent=sent, batch=batch, snapshots={})
        elif outcome == "fail":
            sync_state_fail(lease=lease, pks=mine, message="price must be positive", batch=batch)
        elif outcome == "unknown":
            sync_state_unknown(lease=lease, pks=mine, message="no answer", batch=batch)
        elif outcome == "give_up":
            with override_settings(SYNC_RETRY_WINDOW=0):
                sync_state_back_off(
                    lease=lease, pks=mine, message="503", retry_after=None, batch=batch
                )
    sync_state_release(lease=lease)


def _edit(product, *, name=None, catalog=None):
    changes = {"version": F("version") + 1}
    if name is not None:
        changes["name"] = name
    if catalog is not None:
        changes["catalog"] = catalog
    Product.objects.filter(pk=product.pk).update(**changes)
    sync_state_mark_changed(kind=SyncKind.PRODUCT, object_ids=[product.pk])


OPERATIONS = ["edit", "rename", "move", "confirm", "fail", "unknown", "give_up", "retry"]
OPERATIONS += ["resolve_there", "resolve_not_there", "forget"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.integers(0, len(NAMES) - 1), st.sampled_from(OPERATIONS)),
        min_size=1,
        max_size=12,
    )
)
def test_whatever_moves_the_states_the_search_finds_exactly_those_that_need_a_person(steps):
    SyncState.objects.all().delete()
    Product.objects.all().delete()
    catalogs = [CatalogFactory(), CatalogFactory()]
    products = [ProductFactory(name=name, catalog=catalogs[i % 2]) for i, name in enumerate(NAMES)]
    for index, operation in steps:
        product = Product.objects.get(pk=products[index].pk)
        state = _citrusad_states().filter(object_id=product.pk).first()
        if operation == "edit":
            _edit(product)
        elif operation == "rename":
            _edit(product, name=NAMES[(index + 1) % len(NAMES)])
        elif operation == "move":
            _edit(product, catalog=catalogs[(catalogs.index(product.catalog) + 1) % 2])
        elif operation in ("confirm", "fail", "unknown", "give_up"):
            _push(product, operation)
        elif operation == "retry" and state:
            sync_state_retry(states=_citrusad_states().filter(pk=state.pk), manual=True)
        elif operation.startswith("resolve") and state and state.status == SyncStatus.UNKNOWN:
            sync_state_resolve(state=state, confirmed=operation == "resolve_there")
        elif operation == "forget":
            sync_state_forget(states=_citrusad_states().filter(object_id=product.pk))
        _assert_search_agrees(catalogs)


def test_a_failed_state_created_directly_is_found_and_truncating_the_states_forgets_it():
    catalog = CatalogFactory()
    rye = ProductFactory(name="Rye bread", catalog=catalog)
    make_state(rye, kind="product", status=SyncStatus.FAILED)
    make_state(ProductFactory(name="Rye crisp"), kind="product", status=SyncStatus.UNKNOWN)
    make_state(ProductFactory(name="Rye flakes"), kind="product", status=SyncStatus.CONFIRMED)
    assert list(product_search(q="rye", sync="failed", catalog_id=catalog.pk)) == [rye]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # Django's foreign keys are deferred
            cursor.execute("TRUNCATE syncs_syncstate")
            cursor.execute("SELECT count(*) FROM syncs_product_attention")
            assert cursor.fetchone() == (0,)
    assert not product_search(sync="failed").exists()


def test_other_destinations_and_kinds_do_not_count_as_citrusad_product_failures():
    product = ProductFactory(name="Rye bread")
    make_state(product, kind="product", status=SyncStatus.FAILED, destination="webhook:1")
    customer_like = ProductFactory(name="Rye crisp")
    make_state(customer_like, kind="customer", status=SyncStatus.FAILED)
    assert not product_search(q="rye", sync="failed").exists()


def test_a_page_of_failed_products_with_words_and_a_catalog_counts_them():
    catalog = CatalogFactory()
    failed = [ProductFactory(name=f"Rye bread {n}", catalog=catalog) for n in range(3)]
    for product in failed:
        make_state(product, kind="product", status=SyncStatus.FAILED)
    make_state(ProductFactory(name="Rye bread", catalog=CatalogFactory()), kind="product",
               status=SyncStatus.FAILED)  # fmt: skip
    page = product_search_page(q="rye", catalog_id=catalog.pk, sync="failed")
    assert [p.pk for p in page.rows] == [p.pk for p in failed]
    assert page.count == 3
    assert all(p.sync_state.status == SyncStatus.FAILED for p in page.rows)


def test_text_with_no_words_finds_nothing_even_among_the_failed():
    make_state(ProductFactory(name="Rye bread"), kind="product", status=SyncStatus.FAILED)
    assert not product_search(q="!!!", sync="failed").exists()
    assert product_search(q="", sync="failed").count() == 1
