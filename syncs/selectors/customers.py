"""Customers: search by exact id, email or phone, or by name words."""

from django.db.models import Q

from syncs.models import Customer
from syncs.selectors.pagination import PAGE_SIZE, keyset_page


def customer_search(
    *, q: str = "", after_id: int | None = None, limit: int = PAGE_SIZE
) -> tuple[list[Customer], int | None]:
    """Customers by exact id, email or phone, or by name words."""
    qs = Customer.objects.all()
    q = q.strip()
    if q:
        exact = Q(external_id=q) | Q(email__iexact=q) | Q(phone_number=q)
        words = Q()
        for word in q.split()[:4]:
            words &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
        qs = qs.filter(exact | words)
    return keyset_page(qs, cursor=after_id, limit=limit)


def customer_get(*, customer_id: int) -> Customer | None:
    return Customer.objects.filter(pk=customer_id).first()
