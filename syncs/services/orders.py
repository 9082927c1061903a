"""Writes to orders: an edited order is pushed again under the same `id`."""

from collections.abc import Mapping
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction

from syncs.models import Order, OrderItem, SyncKind
from syncs.services.audit import audit_event_record
from syncs.services.sync_state import sync_state_mark_changed

EDITABLE_FIELDS = frozenset({"customer_id", "session_id", "order_date", "ad_ids"})
ITEM_FIELDS = frozenset(
    f.name for f in OrderItem._meta.concrete_fields if f.name not in {"id", "order", "position"}
)


def order_update(
    *,
    order: Order,
    actor: AbstractBaseUser | None,
    data: Mapping[str, Any],
    items: list[Mapping[str, Any]] | None = None,
) -> Order:
    """Change an order (and, given `items`, replace its lines) and push it again."""
    unknown = set(data) - EDITABLE_FIELDS
    if unknown:
        raise ValidationError(f"These fields cannot be edited: {', '.join(sorted(unknown))}.")
    if items is not None:
        if not items:
            raise ValidationError("An order needs at least one item.")
        for line in items:
            extra = set(line) - ITEM_FIELDS
            if extra:
                raise ValidationError(f"Unknown order item fields: {', '.join(sorted(extra))}.")
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        for name, value in data.items():
            setattr(order, name, value)
        order.full_clean()
        new_items = None
        if items is not None:
            new_items = [
                OrderItem(order=order, position=position, **line)
                for position, line in enumerate(items)
            ]
            for line in new_items:
                line.full_clean(exclude=["order"])
            order.items.all().delete()
            OrderItem.objects.bulk_create(new_items)
        order.version += 1
        order.save()
        sync_state_mark_changed(kind=SyncKind.ORDER, object_ids=[order.pk])
        audit_event_record(
            actor=actor,
            action="order.update",
            object_kind=SyncKind.ORDER,
            object_id=order.pk,
            object_repr=order.order_id,
            after={
                **{name: str(value) for name, value in data.items()},
                **({"items": len(new_items)} if new_items is not None else {}),
            },
        )
    return order
