import pytest

from syncs.models import Product
from syncs.selectors import products as product_selectors
from syncs.selectors.pagination import Paging
from tests.factories import ProductFactory
from tests.views.conftest import make_state

pytestmark = pytest.mark.django_db


def test_an_existing_gtin_is_an_exact_search(products):
    assert list(product_selectors.product_search(q="6410000001")) == [products["exact"]]
    code = ProductFactory(gtin="SKU-123", name="Cereal")
    assert list(product_selectors.product_search(q=" SKU-123 ")) == [code]


def test_digits_that_match_no_gtin_are_a_prefix(products):
    found = set(product_selectors.product_search(q="641"))
    assert found == {products["exact"], products["longer"]}


def test_words_must_all_occur_in_the_name(products):
    assert set(product_selectors.product_search(q="oat")) == {products["exact"], products["longer"]}
    assert list(product_selectors.product_search(q="BARISTA oat")) == [products["longer"]]


def test_stock_and_sync_filters(products):
    assert list(product_selectors.product_search(stock="out")) == [products["other"]]
    make_state(products["longer"], kind="product", status="failed")
    make_state(products["exact"], kind="product", status="in_flight")
    assert list(product_selectors.product_search(sync="failed")) == [products["longer"]]
    assert list(product_selectors.product_search(sync="pending")) == [products["exact"]]


def test_search_pages_by_id_with_states_attached(products):
    make_state(products["exact"], kind="product", status="confirmed")
    first = product_selectors.product_search_page(paging=Paging(limit=2))
    page, next_id = first.rows, first.next_after
    assert [p.pk for p in page] == sorted(p.pk for p in products.values())[:2]
    assert next_id == page[-1].pk
    assert page[0].sync_state is not None and page[1].sync_state is None
    second = product_selectors.product_search_page(paging=Paging(limit=2, after=next_id))
    rest, after = second.rows, second.next_after
    assert len(rest) == 1 and after is None


def test_a_slow_ordered_walk_falls_back_to_the_index_plan_with_the_same_rows(products):
    """Rare words make PostgreSQL's walk by id slow; past FAST_PLAN_MS the search re-plans."""
    from django.db import connection

    qs = Product.objects.all()
    if connection.vendor == "postgresql":
        # Each row takes longer than the fast plan's budget, so the walk is cancelled.
        qs = qs.extra(
            where=["pg_sleep(%s) IS NOT NULL"], params=[product_selectors.FAST_PLAN_MS / 500]
        )  # noqa: S610
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        page = product_selectors._first_in_order(
            qs, ["id"], 0, 2, walk=product_selectors.Walk(matches=1e9, words=[])
        )
    assert page == sorted(products.values(), key=lambda p: p.pk)[:2]
    if connection.vendor == "postgresql":
        assert '"id" + 0' in queries.captured_queries[-1]["sql"], "the fallback plan ran"
    assert list(Product.objects.all()[:1]), "the connection is usable afterwards"


@pytest.mark.parametrize(
    ("stored", "scanned", "form"),
    [
        ("04006381333931", "4006381333931", "GTIN-14"),  # EAN-13 scanned, GTIN-14 stored
        ("4006381333931", "04006381333931", "EAN-13"),
        ("0036000291452", "036000291452", "EAN-13"),  # UPC-A scanned
        ("036000291452", "00036000291452", "UPC-A"),
        ("00000096385074", "96385074", "GTIN-14"),  # EAN-8 scanned
        ("96385074", "0000096385074", "EAN-8"),
    ],
)
def test_a_numeric_scan_finds_the_other_forms_of_its_code_and_says_which(stored, scanned, form):
    product = ProductFactory(gtin=stored)
    ProductFactory(gtin=scanned + "1")  # a longer code that merely starts with the scan
    assert list(product_selectors.product_search(q=scanned)) == [product]
    page = product_selectors.product_search_page(q=scanned).rows
    assert page == [product] and page[0].matched_form == form


def test_an_exact_scan_says_no_other_form(products):
    page = product_selectors.product_search_page(q="6410000001").rows
    assert page == [products["exact"]] and page[0].matched_form == ""


def test_name_search_ignores_accents_and_case():
    creme = ProductFactory(name="Crème brûlée 2 × 100 g")
    ProductFactory(name="Cream cheese")
    assert list(product_selectors.product_search(q="creme")) == [creme]
    assert list(product_selectors.product_search(q="CRÈME BRULEE")) == [creme]
    assert list(product_selectors.product_search(q="brûl")) == [creme]


def test_a_search_estimated_rare_skips_the_walk_in_order(products, monkeypatch):
    """No timed walk when PostgreSQL's estimate says it would read more than WALK_ROWS rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        return  # SQLite has one plan; the suite runs on PostgreSQL (make test)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE syncs_product")
    monkeypatch.setattr(product_selectors, "WALK_ROWS", 1)
    with CaptureQueriesContext(connection) as queries:
        page = product_selectors._first_in_order(
            Product.objects.all(), ["id"], 0, 2, walk=product_selectors.Walk(matches=0.5, words=[])
        )
    assert page == sorted(products.values(), key=lambda p: p.pk)[:2]
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert '"id" + 0' in sql and "statement_timeout" not in sql


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("choc", True),
        ("dark choc", True),
        ("DA CHOCOLATE", True),
        ("creme", True),
        ("brulee crème", True),
        ("olate", False),  # inside a word, not at its start
        ("chocolates", False),  # longer than the word
        ("dark milk", False),
    ],
)
def test_every_typed_word_starts_a_word_of_the_name_whichever_plan_finds_it(typed, found):
    """The index plan (prefix terms) and the walk (prefix query per row) agree."""
    wanted = {ProductFactory(name="Dark chocolate"), ProductFactory(name="Crème brûlée")}
    ProductFactory(name="Oat drink")
    qs, words = product_selectors._search(q=typed, catalog_id=None, stock="", sync="")
    hits = set(qs)
    assert bool(hits & wanted) is found and hits <= wanted
    walk = product_selectors.Walk(matches=1e9, words=words)
    walked = product_selectors._first_in_order(qs, ["id"], 0, 10, walk=walk)
    assert set(walked) == hits
