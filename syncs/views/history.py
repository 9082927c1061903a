from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syncs.forms import RetryAllForm, RetryForm
from syncs.list_forms import BatchFilterForm
from syncs.models import SyncKind, SyncStatus
from syncs.roles import kind_view_permission, kinds_visible_to
from syncs.selectors.sync_batches import sync_batch_children, sync_batch_list, sync_batch_rows
from syncs.selectors.sync_states import sync_failed_groups
from syncs.services.sync import row_retry, rows_retry_failed, sync_batch_retry_failed
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
    """Every SyncBatch, newest first unless sorted otherwise, filtered, counted, paged."""
    require_permission(request.user, "syncs.view_syncbatch")
    form = BatchFilterForm(request.GET)
    page = None
    if form.is_valid():
        key_kinds = kinds_visible_to(request.user, SyncKind.values)
        page = sync_batch_list(**form.selector_kwargs(), key_kinds=key_kinds, paging=form.paging())
    context = {"form": form, "page": page, "batches": page.rows if page else []}
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
        "children": sync_batch_children(batch=batch),
        "failed_rows": [r for r in rows if r.state.status == SyncStatus.FAILED],
        "can_retry": request.user.has_perm("syncs.retry_sync"),
    }
    return render_page(request, "syncs/batch_detail.html", context)


@require_POST
def batch_retry(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Retry every row this batch, or a smaller batch split from it, left failed."""
    require_permission(request.user, "syncs.retry_sync")
    batch = get_batch_for(request.user, pk)
    retried = sync_batch_retry_failed(batch=batch, actor=request.user)
    if retried:
        rows = f"{retried} failed row{'s' * (retried != 1)}"
        messages.success(request, f"{rows} queued again: they go out with the next push.")
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


@require_http_methods(["GET", "POST"])
def retry_all_failed(request: HtmxHttpRequest) -> HttpResponse:
    """One confirmation page (the count, one button); its POST carries the count it showed,
    and only that many failed rows are queued again."""
    require_permission(request.user, "syncs.retry_sync")
    if request.method == "GET":
        return _retry_all_page(request)
    form = RetryAllForm(request.POST)
    if not form.is_valid():
        return _retry_all_page(
            request,
            error="That request did not come from this page: it does not say how many failed "
            "rows it confirms. Nothing was retried; check the count below and confirm again.",
            status=400,
        )
    try:
        retried = rows_retry_failed(actor=request.user, expected=form.cleaned_data["expected"])
    except ValidationError as exc:
        return _retry_all_page(request, error=" ".join(exc.messages), status=409)
    rows = f"{retried:,} failed row{'s' * (retried != 1)}"
    messages.success(request, f"{rows} queued again: they go out with the next pushes.")
    return redirect("home")


def _retry_all_page(request: HtmxHttpRequest, *, error: str = "", status: int = 200):
    failed = sync_failed_groups()
    context = {"failed": failed, "total": sum(group.rows for group in failed), "error": error}
    return render(request, "syncs/retry_all_confirm.html", context, status=status)
