"""Writes to customers: edits, and Custobar's one-way "deleted" and "forgotten" marks."""

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from syncs.models import Customer, Priority, SyncKind
from syncs.services.audit import audit_event_record
from syncs.services.sync_state import sync_state_mark_changed

NOT_EDITABLE = frozenset(
    {"id", "version", "created_at", "updated_at", "is_deleted", "is_forgotten"}
)
EDITABLE_FIELDS = frozenset(
    f.name for f in Customer._meta.concrete_fields if f.name not in NOT_EDITABLE
)


def _json_value(value):
    return value if isinstance(value, str | int | float | bool | list | dict | None) else str(value)


def _check_editable(customer: Customer) -> None:
    if customer.is_forgotten or customer.is_deleted:
        mark = "forgotten" if customer.is_forgotten else "deleted"
        raise ValidationError(f"Customer {customer} is marked {mark} in Custobar; it is final.")


def customer_update(
    *, customer: Customer, actor: AbstractBaseUser | None, data: Mapping[str, Any]
) -> Customer:
    """Change a customer's fields and push them to CitrusAd and Custobar."""
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        _check_editable(customer)
        changed = {name for name, value in data.items() if getattr(customer, name) != value}
        if not changed:
            return customer
        before = {name: _json_value(getattr(customer, name)) for name in changed}
        for name, value in data.items():
            setattr(customer, name, value)
        customer.full_clean()
        customer.version += 1
        customer.save()
        sync_state_mark_changed(kind=SyncKind.CUSTOMER, object_ids=[customer.pk])
        audit_event_record(
            actor=actor,
            action="customer.update",
            object_kind=SyncKind.CUSTOMER,
            object_id=customer.pk,
            object_repr=str(customer),
            before=before,
            after={name: _json_value(getattr(customer, name)) for name in changed},
        )
    return customer


def _customer_mark(*, customer: Customer, field: str, actor: AbstractBaseUser | None) -> Customer:
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if getattr(customer, field):
            return customer  # already marked: a second click changes nothing
        setattr(customer, field, True)
        customer.version += 1
        customer.save(update_fields=[field, "version", "updated_at"])
        sync_state_mark_changed(
            kind=SyncKind.CUSTOMER, object_ids=[customer.pk], priority=Priority.MANUAL
        )
        audit_event_record(
            actor=actor,
            action=f"customer.{'forget' if field == 'is_forgotten' else 'delete'}",
            object_kind=SyncKind.CUSTOMER,
            object_id=customer.pk,
            object_repr=str(customer),
            before={field: False},
            after={field: True},
        )
    return customer


def customer_forget(*, customer: Customer, actor: AbstractBaseUser | None) -> Customer:
    """Mark the customer forgotten in Custobar (GDPR erasure); it cannot be undone."""
    return _customer_mark(customer=customer, field="is_forgotten", actor=actor)


def customer_mark_deleted(*, customer: Customer, actor: AbstractBaseUser | None) -> Customer:
    """Mark the customer deleted in Custobar; it cannot be undone."""
    return _customer_mark(customer=customer, field="is_deleted", actor=actor)
