from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from syncs.forms import BatchFilterForm, RetryForm
from syncs.models import SyncKind, SyncStatus
from syncs.roles import kind_view_permission, kinds_visible_to
from syncs.selectors.sync_batches import sync_batch_list, sync_batch_rows
from syncs.services.sync import row_retry, sync_batch_retry_failed
from syncs.views.access import (
    HtmxHttpRequest,
    get_batch_for,
    render_page,
    require_permission,
    role_for,
    safe_next,
)


@require_GET
def batch_list(request: HtmxHttpRequest) -> HttpResponse:
    """Every SyncBatch, newest first, keyset-paginated by id."""
    require_permission(request.user, "syncs.view_syncbatch")
    form = BatchFilterForm(request.GET)
    batches, next_id = [], None
    if form.is_valid():
        key_kinds = kinds_visible_to(request.user, SyncKind.values)
        batches, next_id = sync_batch_list(**form.selector_kwargs(), key_kinds=key_kinds)
    query = request.GET.copy()
    query.pop("before", None)
    context = {"form": form, "batches": batches, "next_id": next_id, "query": query.urlencode()}
    return render_page(request, "syncs/history.html", context, partial="results")


@require_GET
def batch_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    batch = get_batch_for(request.user, pk)
    # Other kinds' batches show that they happened, not what they carried (personal data).
    visible = bool(kinds_visible_to(request.user, [batch.kind]))
    rows = sync_batch_rows(batch=batch) if visible else []
    context = {
        "batch": batch,
        "contents_visible": visible,
        "contents_role": role_for(kind_view_permission(batch.kind)),
        "rows": rows,
        "failed_rows": [r for r in rows if r.state.status == SyncStatus.FAILED],
        "can_retry": request.user.has_perm("syncs.retry_sync"),
    }
    return render_page(request, "syncs/batch_detail.html", context)


@require_POST
def batch_retry(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Retry every row whose last push was this batch and failed."""
    require_permission(request.user, "syncs.retry_sync")
    batch = get_batch_for(request.user, pk)
    retried = sync_batch_retry_failed(batch=batch, actor=request.user)
    if retried:
        messages.success(request, f"{retried} failed row(s) queued again.")
    else:
        messages.info(request, "Nothing in this batch is failed any more.")
    return redirect("batch_detail", pk=batch.pk)


@require_POST
def row_retry_view(request: HtmxHttpRequest) -> HttpResponse:
    """Retry one failed row (dashboard list, product/customer/order pages)."""
    require_permission(request.user, "syncs.retry_sync")
    form = RetryForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest("That retry request is incomplete; reload the page.")
    try:
        state = row_retry(actor=request.user, **form.cleaned_data)
    except ValidationError as exc:
        error = " ".join(exc.messages)
        if request.htmx:
            return render(request, "syncs/dashboard.html#retry-error", {"error": error})
        messages.error(request, error)
        return redirect(safe_next(request, reverse("home")))
    if request.htmx:
        return render(request, "syncs/dashboard.html#retried", {"state": state})
    messages.success(request, "Queued again: it goes out with the next push.")
    return redirect(safe_next(request, reverse("home")))
