"""Customers: search by exact id, email or phone, or by name words."""

from django.db.models import Q, QuerySet

from syncs.destinations import destination_get, destination_names_for_kind
from syncs.models import Customer, SyncKind
from syncs.search import phone_forms
from syncs.selectors.pagination import FIRST_PAGE, Page, Paging, keyset_page

CUSTOMER_SORTS = ("id", "-id", "email", "-email")  # the primary key and customer_email_idx


def customer_search_queryset(*, q: str = "") -> QuerySet[Customer]:
    """Customers by exact id, email or phone, part of an email, or name words.

    "aino@" and "@example.org" find by part of the email; a phone number is found however it
    is written, the national way ("07700 922809") only for customers of a country where it is
    that number.
    """
    qs = Customer.objects.all()
    q = q.strip()
    if q:
        exact = Q(external_id=q) | Q(email__iexact=q) | Q(phone_number=q)
        if "@" in q:
            exact |= Q(email__icontains=q)
        if phones := phone_forms(q):
            exact |= Q(pk__in=_customers_with_phone(phones))
        words = Q()
        for word in q.split()[:4]:
            words &= Q(first_name__icontains=word) | Q(last_name__icontains=word)
        qs = qs.filter(exact | words)
    return qs


def customer_search(*, q: str = "", paging: Paging = FIRST_PAGE) -> Page[Customer]:
    """One page of `customer_search_queryset`, with the count of matches."""
    return keyset_page(customer_search_queryset(q=q), paging=paging, sorts=CUSTOMER_SORTS)


def _customers_with_phone(phones: dict[str, set[str]]) -> list[int]:
    """Ids of customers whose number is one of these, in one of its countries (if it has any)."""
    found = Customer.objects.filter(phone_number__in=phones).values_list(
        "pk", "phone_number", "country"
    )
    return [
        pk for pk, phone, country in found if not phones[phone] or country.upper() in phones[phone]
    ]


def customer_get(*, customer_id: int) -> Customer | None:
    return Customer.objects.filter(pk=customer_id).first()


def customer_sync_keys(*, customer: Customer) -> list[str]:
    """The keys each destination's sync history knows this customer by.

    Not one key for all: CitrusAd knows a customer without an id of their own by the id the
    console gave them, and Custobar by their phone number before their email.
    """
    return sorted(
        {
            destination_get(name).build(SyncKind.CUSTOMER, customer, previous=None).key
            for name in destination_names_for_kind(SyncKind.CUSTOMER)
        }
        - {""}
    )
