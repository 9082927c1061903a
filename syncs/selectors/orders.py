"""Orders: search by order id or customer id, and one order with its items."""

from django.db.models import Count, Q

from syncs.models import Order
from syncs.selectors.pagination import PAGE_SIZE, keyset_page


def order_search(
    *, q: str = "", after_id: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[Order], int | None]:
    """Orders by order id (exact or prefix) or customer id."""
    qs = Order.objects.annotate(item_count=Count("items"))
    q = q.strip()
    if q:
        qs = qs.filter(Q(order_id__startswith=q) | Q(customer_id=q))
    return keyset_page(qs, cursor=after_id, limit=limit)


def order_get(*, order_id: int) -> Order | None:
    return Order.objects.prefetch_related("items").filter(pk=order_id).first()
