"""Orders: search by order id or customer id, and one order with its items."""

import re

from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Reverse

from syncs.models import Customer, Order, OrderItem, Product
from syncs.search import order_id_without_prefix
from syncs.selectors.pagination import FIRST_PAGE, Page, Paging, keyset_page

# The primary key, order_date_idx and the unique order_id.
ORDER_SORTS = ("id", "-id", "-order_date", "order_date", "order_id", "-order_id")


def order_search(*, q: str = "", paging: Paging = FIRST_PAGE) -> Page[Order]:
    """Orders by order id (exact or prefix), customer id, or order id without its prefix.

    "10023" finds "ORD-10023" when nothing starts with it; the page's notes then say how the
    orders were found (and that there are several, when there are).
    """
    # The item count per row shown, not a GROUP BY over the join: ordering by an indexed column
    # (order_date) then walks its index for one page instead of aggregating every order.
    items = OrderItem.objects.filter(order=OuterRef("pk")).order_by().values("order")
    qs = Order.objects.annotate(
        item_count=Coalesce(Subquery(items.annotate(n=Count("*")).values("n")), 0)
    )
    q = q.strip()
    by_suffix = False
    if q:
        found = Q(order_id__startswith=q) | Q(customer_id=q)
        if not Order.objects.filter(found).exists() and (ids := _orders_ending_with(q)):
            found, by_suffix = Q(pk__in=ids), True
        qs = qs.filter(found)
    page = keyset_page(qs, paging=paging, sorts=ORDER_SORTS)
    if by_suffix:
        ends = "the ids of these orders end with it. Which one?"
        if len(page.rows) == 1:
            ends = "the id of this order ends with it."
        page.notes.append(f"No order id starts with “{q}”: {ends}")
    return page


SUFFIX_CANDIDATES = 50


def _orders_ending_with(typed: str) -> list[int]:
    """Orders whose id is `typed` after a prefix, from the reversed-id index (PostgreSQL)."""
    candidates = (
        Order.objects.alias(reversed_id=Reverse("order_id"))
        .filter(reversed_id__startswith=typed[::-1])
        .values_list("pk", "order_id")[:SUFFIX_CANDIDATES]
    )
    return [pk for pk, order_id in candidates if order_id_without_prefix(order_id, typed)]


def order_get(*, order_id: int) -> Order | None:
    return Order.objects.prefetch_related("items").filter(pk=order_id).first()


def order_customer(*, order: Order) -> Customer | None:
    """The customer an order belongs to, when the console has them: by the retailer's id, or
    by the id the console gave CitrusAd for a customer without one ("citrusadmin-<pk>")."""
    if not order.customer_id:
        return None
    own_id = re.fullmatch(r"citrusadmin-(\d{1,18})", order.customer_id)
    if own_id:
        return Customer.objects.filter(pk=int(own_id.group(1)), external_id="").first()
    return Customer.objects.filter(external_id=order.customer_id).first()


def order_items_with_products(*, order: Order) -> list[OrderItem]:
    """The order's items, each with `product_name` when a product with its GTIN is known here
    (the first catalog's by name, when several catalogs hold it): two queries."""
    items = list(order.items.all())
    names: dict[str, str] = {}
    products = Product.objects.filter(gtin__in={item.gtin for item in items}).order_by(
        "catalog__name", "pk"
    )
    for gtin, name in products.values_list("gtin", "name"):
        names.setdefault(gtin, name)
    for item in items:
        item.product_name = names.get(item.gtin, "")
    return items
