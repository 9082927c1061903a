"""Pages of every list: keyset by the sort column and id, numbers, Previous, and the count."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syncs.models import Product
from syncs.selectors import pagination
from syncs.selectors.pagination import COUNT_CAP, Paging, count_capped, keyset_page
from tests.factories import CatalogFactory, ProductFactory

pytestmark = pytest.mark.django_db

SORTS = ("id", "-id", "gtin", "-gtin")


@pytest.fixture
def shelf():
    # GTINs in the opposite order to the ids; a second catalog holds three of the same GTINs,
    # so sorting by GTIN has ties that the id must break.
    catalog, other = CatalogFactory(), CatalogFactory()
    rows = [ProductFactory(catalog=catalog, gtin=f"{90 - i:014d}") for i in range(7)]
    rows += [ProductFactory(catalog=other, gtin=f"{90 - i:014d}") for i in range(3)]
    return rows


def _walk(qs, sort, limit=3):
    """Every page by Next, then every page back by Previous: the same rows, the same pages."""
    pages, page = [], keyset_page(qs, paging=Paging(sort=sort, limit=limit), sorts=SORTS)
    pages.append(page)
    while page.next_after:
        page = keyset_page(
            qs,
            paging=Paging(sort=sort, limit=limit, after=page.next_after, number=page.number + 1),
            sorts=SORTS,
        )
        pages.append(page)
    back = [page]
    while page.back_from:
        page = keyset_page(
            qs,
            paging=Paging(sort=sort, limit=limit, back=page.back_from, number=page.number - 1),
            sorts=SORTS,
        )
        back.append(page)
    return pages, back[::-1]


@pytest.mark.parametrize("sort", SORTS)
def test_next_and_previous_walk_the_same_rows_in_the_sort_order(shelf, sort):
    qs = Product.objects.all()
    expected = [p.pk for p in qs.order_by(*pagination._order(sort))]
    forward, backward = _walk(qs, sort)
    assert [p.pk for page in forward for p in page.rows] == expected
    assert [[p.pk for p in page.rows] for page in backward] == [
        [p.pk for p in page.rows] for page in forward
    ]
    assert [page.number for page in forward] == [1, 2, 3, 4]
    assert [page.number for page in backward] == [1, 2, 3, 4]
    assert forward[0].back_from is None and forward[-1].next_after is None


def test_a_page_reached_by_its_number_is_the_same_as_by_next(shelf):
    qs = Product.objects.all()
    forward, _ = _walk(qs, "gtin")
    third = keyset_page(qs, paging=Paging(sort="gtin", limit=3, number=3), sorts=SORTS)
    assert third.rows == forward[2].rows and third.next_after == forward[2].next_after
    assert third.count == 10 and third.page_count == 4 and third.count_label == "10"
    assert third.numbered == [1, 2, 3, 4]


def test_an_unknown_sort_is_the_default_and_a_gone_cursor_is_the_first_page(shelf):
    qs = Product.objects.all()
    page = keyset_page(qs, paging=Paging(sort="price", after=10**12, limit=3), sorts=SORTS)
    assert page.sort == "id" and page.rows == list(qs.order_by("id")[:3])


def test_the_count_stops_at_the_cap(monkeypatch, shelf):
    monkeypatch.setattr(pagination, "COUNT_CAP", 4)
    qs = Product.objects.all()
    assert count_capped(qs) == 5
    page = keyset_page(qs, paging=Paging(limit=3), sorts=SORTS)
    assert not page.count_exact and page.count_label == "4+" and page.page_count is None


def test_count_cap_is_ten_thousand():
    assert COUNT_CAP == 10_000


def test_a_last_page_reached_by_number_is_counted_without_a_count_query(shelf):
    qs = Product.objects.filter(gtin__in=[f"{90 - i:014d}" for i in range(2)])
    with CaptureQueriesContext(connection) as queries:
        page = keyset_page(qs, paging=Paging(limit=3), sorts=SORTS)
    assert page.count == 4 and page.count_label == "4" and page.page_count == 2
    assert len(queries.captured_queries) == 2  # the page, and the count that a next page needs
    with CaptureQueriesContext(connection) as queries:
        last = keyset_page(qs, paging=Paging(limit=3, number=2), sorts=SORTS)
    assert [p.pk for p in last.rows] == [p.pk for p in qs.order_by("id")[3:]]
    assert last.count == 4 and len(queries.captured_queries) == 1
    empty = keyset_page(qs.filter(pk=-1), paging=Paging(), sorts=SORTS)
    assert empty.count == 0 and empty.count_label == "0"
