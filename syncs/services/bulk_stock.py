"""Bulk stock-outs and restores as one recorded action: confirmed, run in chunks, followed up.

A person confirms on a page that counts only the products that would change; above a share of
a catalog they type that number. The action is one audit entry (each product's entry belongs to
it) and one page with its progress and every product's outcome and sync chip. Small actions run
inside the request; larger ones (BULK_BACKGROUND_ROWS) in a worker, so no request holds locks on
thousands of rows. Each chunk is its own transaction, and a run that a dead worker left behind
carries on after the last product it recorded.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from syncs.models import BulkOutcome, BulkStatus, BulkStockAction, BulkStockItem
from syncs.queues import TaskName
from syncs.selectors.bulk_stock import BulkPreview, product_bulk_preview
from syncs.selectors.products import product_choice
from syncs.services.audit import audit_event_record
from syncs.services.dispatch import task_send_after_commit
from syncs.services.products import STOCK_OUT, STOCK_STATES, product_bulk_set_stock

CHUNK = 500  # products locked and written per transaction


def _check_typed(preview: BulkPreview, typed_count: int | None) -> None:
    if not preview.needs_typed_confirmation or typed_count == preview.to_change:
        return
    if typed_count is None:
        raise ValidationError(f"Type the number of products, {preview.to_change}, to confirm.")
    raise ValidationError(
        f"You typed {typed_count}, but {preview.to_change} products would change now; "
        "nothing was changed."
    )


def bulk_stock_start(
    *,
    state: str,
    actor: AbstractBaseUser,
    product_ids: list[int] | None = None,
    search: Mapping[str, Any] | None = None,
    typed_count: int | None = None,
) -> BulkStockAction:
    """Record a confirmed bulk stock-out or restore and run it (now, or in a worker if large)."""
    if state not in STOCK_STATES:
        raise ValidationError(f"Stock state must be 'out' or 'in', not {state!r}.")
    preview = product_bulk_preview(state=state, product_ids=product_ids, search=search)
    if not preview.to_change:
        raise ValidationError("Nothing to change: no chosen product would change.")
    _check_typed(preview, typed_count)
    verb = "Stock out" if state == STOCK_OUT else "Restore"
    with transaction.atomic():
        action = BulkStockAction.objects.create(
            actor=actor,
            actor_name=actor.get_username(),
            state=state,
            product_ids=sorted({int(pk) for pk in product_ids}) if product_ids else None,
            search=dict(search) if search is not None else None,
            requested=preview.requested,
            to_change=preview.to_change,
            typed_confirmation=typed_count if preview.needs_typed_confirmation else None,
        )
        after = {"requested": preview.requested, "to_change": preview.to_change}
        if search is not None:
            after["search"] = dict(search)
        if preview.needs_typed_confirmation:
            after["typed_confirmation"] = typed_count
            after["confirmed_above_share"] = preview.share_limit
            after["catalogs_above_share"] = [
                f"{c.name}: {c.to_change} of {c.products}" for c in preview.crossing
            ]
        action.audit_event = audit_event_record(
            actor=actor,
            action="product.bulk_stock_out" if state == STOCK_OUT else "product.bulk_restore",
            object_kind="bulk",
            object_id=action.pk,
            object_repr=f"{verb} {preview.to_change} of {preview.requested} products",
            after=after,
        )
        action.save(update_fields=["audit_event"])
        if preview.to_change > settings.BULK_BACKGROUND_ROWS:
            # By name, as the push engine sends its drains: the tasks module imports this one.
            task_send_after_commit(TaskName.PRODUCT_BULK_STOCK, action_id=action.pk)
    if preview.to_change <= settings.BULK_BACKGROUND_ROWS:
        action = bulk_stock_run(action_id=action.pk)
    return action


def bulk_stock_run(*, action_id: int) -> BulkStockAction:
    """Do the action chunk by chunk, recording each product's outcome and the progress."""
    claimed = BulkStockAction.objects.filter(
        pk=action_id, status__in=[BulkStatus.QUEUED, BulkStatus.RUNNING]
    ).update(status=BulkStatus.RUNNING)
    action = BulkStockAction.objects.select_related("actor", "audit_event").get(pk=action_id)
    if not claimed:
        return action  # finished already: a redelivered task does nothing
    try:
        chosen = product_choice(product_ids=action.product_ids, search=action.search)
        last = action.items.aggregate(last=Max("product_id"))["last"] or 0
        while ids := list(
            chosen.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK]
        ):
            _run_chunk(action, ids)
            last = ids[-1]
    except Exception as exc:
        BulkStockAction.objects.filter(pk=action_id).update(
            status=BulkStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    BulkStockAction.objects.filter(pk=action_id).update(
        status=BulkStatus.DONE, finished_at=timezone.now()
    )
    action.refresh_from_db()
    return action


def _run_chunk(action: BulkStockAction, ids: list[int]) -> None:
    # The products, their outcomes and the progress commit together: a crash leaves none of
    # the chunk behind, and the rerun starts after the last product recorded.
    with transaction.atomic():
        result = product_bulk_set_stock(
            state=action.state,
            actor=action.actor,
            product_ids=ids,
            audit_parent=action.audit_event,
        )
        outcomes = {
            BulkOutcome.CHANGED: result.changed_ids,
            BulkOutcome.UNCHANGED: result.unchanged_ids,
            BulkOutcome.SKIPPED: result.skipped_ids,
        }
        BulkStockItem.objects.bulk_create(
            BulkStockItem(action=action, product_id=pk, outcome=outcome)
            for outcome, pks in outcomes.items()
            for pk in pks
        )
        BulkStockAction.objects.filter(pk=action.pk).update(
            processed=F("processed") + result.changed + result.unchanged + result.skipped,
            changed=F("changed") + result.changed,
            unchanged=F("unchanged") + result.unchanged,
            skipped=F("skipped") + result.skipped,
        )
