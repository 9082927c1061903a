"""Every list says how many match, sorts by its indexed columns and pages by number."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from syncs.models import AuditEvent, Customer, ImportJob, Order, SyncBatch
from syncs.selectors import pagination
from tests.factories import CustomerFactory, OrderItemFactory, ProductFactory
from tests.views.conftest import make_batch

pytestmark = pytest.mark.django_db


@pytest.fixture
def lists(catalog, admin_user):
    """Three rows in each list."""
    for i in range(3):
        ProductFactory(catalog=catalog, gtin=f"0641489340{i:04d}", name=f"Rye {i}")
        CustomerFactory(email=f"rye{i}@example.org", first_name="Rye")
        OrderItemFactory(order__order_id=f"RYE-{i}")
        make_batch(keys=[f"k{i}"])
        AuditEvent.objects.create(action="product.stock_out", object_kind="product", object_id=i)
        ImportJob.objects.create(kind="products", file_path=f"/tmp/{i}.csv", created_by=admin_user)


LISTS = [
    ("product_search", {"q": "rye"}, "3 products"),
    ("customer_search", {"q": "rye"}, "3 customers"),
    ("order_search", {"q": "RYE"}, "3 orders"),
    ("batch_list", {}, "3 batches"),
    ("audit_list", {}, "3 entries"),
    ("import_list", {}, "3 imports"),
]


@pytest.mark.parametrize(("name", "query", "count"), LISTS)
def test_each_list_counts_its_rows_and_names_its_page(
    client, admin_user, lists, name, query, count
):
    client.force_login(admin_user)
    html = client.get(reverse(name), query).content.decode()
    assert f'<span class="count" role="status">{count}</span>' in html
    assert "page 1 of 1" in html


def test_a_count_above_the_cap_says_so(client, admin_user, lists, monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    client.force_login(admin_user)
    html = client.get(reverse("product_search"), {"q": "rye"}).content.decode()
    assert "2+ products" in html and "page 1</span>" in html


def _gtins(html: str) -> list[str]:
    return re.findall(r"<code>(0641489340\d{4})</code>", html)


def test_products_sort_by_gtin_both_ways_from_the_column_header(client, merchandiser, lists):
    client.force_login(merchandiser)
    url = reverse("product_search")
    ascending = _gtins(client.get(url, {"q": "rye", "sort": "gtin"}).content.decode())
    html = client.get(url, {"q": "rye", "sort": "-gtin"}).content.decode()
    assert ascending == sorted(ascending) and _gtins(html) == ascending[::-1]
    assert 'aria-sort="descending"' in html and "sort=gtin" in html  # the header flips it


def test_pages_by_number_next_and_previous(client, merchandiser, catalog):
    for i in range(pagination.PAGE_SIZE + 2):
        ProductFactory(catalog=catalog, gtin=f"0750000000{i:04d}")
    client.force_login(merchandiser)
    url = reverse("product_search")
    first = client.get(url, {"q": "0750"}).content.decode()
    assert "page 1 of 2" in first and 'aria-label="Page 2"' in first and "Next →" in first
    second = client.get(url, {"q": "0750", "page": 2}).content.decode()
    assert "page 2 of 2" in second and "← Previous" in second and "Next →" not in second
    assert len(re.findall(r'<tr id="product-', second)) == 2
    after = re.search(r'href="[^"]*after=(\d+)[^"]*page=2', first).group(1)
    by_next = client.get(url, {"q": "0750", "after": after, "page": 2}).content.decode()
    assert re.findall(r'<tr id="product-\d+"', by_next) == re.findall(
        r'<tr id="product-\d+"', second
    )


def test_orders_sort_by_date(client, support, lists):
    client.force_login(support)
    html = client.get(reverse("order_search"), {"q": "RYE", "sort": "-order_date"}).content.decode()
    assert 'aria-sort="descending"' in html


def test_the_imports_list_says_when_and_who(client, admin_user, lists):
    client.force_login(admin_user)
    html = client.get(reverse("import_list")).content.decode()
    assert '<th scope="col">When</th>' in html and admin_user.get_username() in html
    assert re.search(r"<time datetime=\"\d{4}-\d\d-\d\dT", html)


def _row_ids(html: str, pattern: str) -> list[int]:
    """The rows' ids in the order the page lists them (each row links to its page once)."""
    seen: list[int] = []
    for found in re.findall(pattern, html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]):
        if int(found) not in seen:
            seen.append(int(found))
    return seen


SORTED_LISTS = [
    ("customer_search", {"q": "rye"}, Customer, r'href="/customers/(\d+)/"', ("id", "email")),
    ("order_search", {"q": "RYE"}, Order, r'href="/orders/(\d+)/"', ("order_id", "order_date")),
    ("batch_list", {}, SyncBatch, r'href="/history/(\d+)/"', ("id",)),
    ("audit_list", {}, AuditEvent, r'id="event-(\d+)"', ("id",)),
    ("import_list", {}, ImportJob, r'href="/imports/(\d+)/"', ("id",)),
]


@pytest.mark.parametrize(("name", "query", "model", "pattern", "columns"), SORTED_LISTS)
def test_each_list_sorts_by_its_column_headers_both_ways(
    client, admin_user, lists, name, query, model, pattern, columns
):
    if model is Order:  # three dates, so the order by date is not the order of the ids
        for days, order in zip((2, 9, 5), Order.objects.order_by("id"), strict=True):
            Order.objects.filter(pk=order.pk).update(
                order_date=timezone.now() - datetime.timedelta(days=days)
            )
    client.force_login(admin_user)
    for column in columns:
        for sort in (column, f"-{column}"):
            html = client.get(reverse(name), {**query, "sort": sort}).content.decode()
            expected = list(
                model.objects.order_by(*pagination._order(sort)).values_list("pk", flat=True)
            )
            assert _row_ids(html, pattern) == expected, sort
            flipped = "ascending" if sort == column else "descending"
            assert f'aria-sort="{flipped}"' in html
