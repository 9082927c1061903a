from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syncs.forms import ConfirmForm
from syncs.list_forms import BulkStockForm, PageForm, ProductSearchForm, StockForm
from syncs.models import BulkStockAction, SyncKind
from syncs.selectors.audit import audit_event_for
from syncs.selectors.bulk_stock import (
    bulk_stock_action_get,
    bulk_stock_items_page,
    bulk_stock_push_summary,
    product_bulk_preview,
)
from syncs.selectors.history import field_history_list
from syncs.selectors.pagination import PAGE_SIZE, Page
from syncs.selectors.products import product_get, product_search_count, product_search_page
from syncs.selectors.stockouts import product_last_verified_dark
from syncs.selectors.sync_batches import sync_batch_for_key
from syncs.services.bulk_stock import bulk_stock_start
from syncs.services.exports import product_export_csv
from syncs.services.live_check import product_live_check
from syncs.services.products import product_delete, product_set_stock
from syncs.views.access import (
    HtmxHttpRequest,
    csv_download,
    get_product_for,
    render_page,
    require_permission,
    safe_next,
)


@require_GET
def product_search(request: HtmxHttpRequest) -> HttpResponse:
    """One box for a scanned GTIN, a GTIN prefix or name words; results swap in place."""
    require_permission(request.user, "syncs.view_product")
    form = ProductSearchForm(request.GET)
    page = None
    if form.is_valid():
        page = product_search_page(**form.search_kwargs(), paging=form.paging())
    context = {
        "form": form,
        "page": page,
        "products": page.rows if page else [],
        "searched": bool(request.GET),
        "can_set_stock": request.user.has_perm("syncs.set_product_stock"),
    }
    return render_page(request, "products/search.html", context, partial="results")


@require_GET
def product_search_count_view(request: HtmxHttpRequest) -> HttpResponse:
    """The number of products a search matches: a broad search's page asks for it apart."""
    require_permission(request.user, "syncs.view_product")
    form = ProductSearchForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest("That search could not be read; search again.")
    count = product_search_count(**form.search_kwargs())
    page = Page([], "", 1, PAGE_SIZE, None, None, count=count)
    return render(request, "products/search.html#match_count", {"page": page})


@require_GET
def product_export(request: HtmxHttpRequest) -> HttpResponse:
    """The products of the current search as CSV in the import format, streamed."""
    require_permission(request.user, "syncs.view_product")
    form = ProductSearchForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest("That search could not be read; go back and search again.")
    return csv_download(product_export_csv(search=form.search_kwargs()), "products.csv")


@require_GET
def product_chip(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The sync status chip alone; pending chips poll this until they settle."""
    product = get_product_for(request.user, pk)
    return render(request, "products/search.html#chip", {"product": product})


@require_POST
def product_stock(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Set a product's stock to the state sent (out or in): a repeat is harmless."""
    product = get_product_for(request.user, pk, "syncs.set_product_stock")
    form = StockForm(request.POST)
    error = ""
    if not form.is_valid():
        error = "Choose stock out or restore."
    else:
        try:
            product_set_stock(product=product, state=form.cleaned_data["state"], actor=request.user)
        except ValidationError as exc:
            error = " ".join(exc.messages)
    if request.htmx:
        context = {
            "product": product_get(product_id=pk),
            "can_set_stock": True,
            "stock_error": error,
        }
        return render(request, "products/search.html#row", context)
    if error:
        messages.error(request, error)
    else:
        verb = "stocked out" if form.cleaned_data["state"] == "out" else "restored"
        messages.success(request, f"{product.gtin} {verb}; CitrusAd gets it within seconds.")
    return redirect(safe_next(request, reverse("product_detail", args=[pk])))


@require_POST
def product_bulk_stock(request: HtmxHttpRequest) -> HttpResponse:
    """Stock out or restore the selected products, or every product matching a search.

    The first POST shows how many products it would change (and asks for that number typed in
    when it is a large share of a catalog); only the confirmed POST writes.
    """
    require_permission(request.user, "syncs.set_product_stock")
    form = BulkStockForm(request.POST)
    if not form.is_valid():
        return render(request, "products/bulk_confirm.html", {"form": form}, status=400)
    data = form.cleaned_data
    try:
        preview = product_bulk_preview(state=data["state"], **form.chosen())
    except ValidationError as exc:
        form.add_error(None, exc)
        return render(request, "products/bulk_confirm.html", {"form": form}, status=400)
    context = {
        "form": form,
        "data": data,
        "preview": preview,
        "background": preview.to_change > settings.BULK_BACKGROUND_ROWS,
        "background_rows": settings.BULK_BACKGROUND_ROWS,
    }
    if not data["confirm"] or not preview.to_change:
        return render(request, "products/bulk_confirm.html", context)
    try:
        action = bulk_stock_start(
            state=data["state"],
            actor=request.user,
            typed_count=data["typed_count"],
            **form.chosen(),
        )
    except ValidationError as exc:
        context["typed_error"] = " ".join(exc.messages)
        return render(request, "products/bulk_confirm.html", context, status=400)
    messages.success(request, bulk_stock_message(action))
    return redirect("product_bulk_detail", pk=action.pk)


def bulk_stock_message(action: BulkStockAction) -> str:
    """What happened, in numbers that add up: requested, changed, already so, skipped."""
    verb = "stocked out" if action.state == "out" else "restored"
    plural = "s" * (action.requested != 1)
    if not action.is_finished:
        return (
            f"{action.requested:,} product{plural} requested: {action.to_change:,} to be {verb} "
            "in the background. This page follows its progress."
        )
    already = "out of stock" if action.state == "out" else "in stock"
    return (
        f"{action.requested:,} product{plural} requested: {action.changed:,} {verb}, "
        f"{action.unchanged:,} already {already}, {action.skipped:,} skipped. "
        "Each product's CitrusAd status is below."
    )


@require_GET
def product_bulk_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One bulk action: its progress, its numbers, and each product with its outcome."""
    require_permission(request.user, "syncs.view_product")
    action = bulk_stock_action_get(action_id=pk)
    if action is None:
        raise Http404("No such bulk action.")
    page = bulk_stock_items_page(action=action, paging=PageForm(request.GET).paging())
    context = {
        "action": action,
        "page": page,
        "items": page.rows,
        "pushes": bulk_stock_push_summary(action=action),
        "can_set_stock": request.user.has_perm("syncs.set_product_stock"),
    }
    response = render_page(request, "products/bulk_detail.html", context, partial="progress")
    if request.htmx and action.is_finished and request.GET.get("poll") == "running":
        response["HX-Refresh"] = "true"  # it has just finished: show the whole page once
    return response


@require_GET
def product_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    product = get_product_for(request.user, pk)
    context = {
        "product": product,
        "ever_confirmed": bool(product.sync_state and product.sync_state.confirmed_version),
        "history_days": settings.SYNC_HISTORY_RETENTION_DAYS,
        "batches": sync_batch_for_key(key=product.gtin, kind=SyncKind.PRODUCT),
        "events": audit_event_for(object_kind=SyncKind.PRODUCT, object_id=product.pk),
        "field_history": field_history_list(kind=SyncKind.PRODUCT, object_id=product.pk),
        "can_import": request.user.has_perm("syncs.import_data"),
        "can_set_stock": request.user.has_perm("syncs.set_product_stock"),
        "can_check": request.user.has_perm("syncs.check_product_live"),
        "can_delete": request.user.has_perm("syncs.request_product_deletion"),
        "can_retry": request.user.has_perm("syncs.retry_sync"),
        "verified_dark": product_last_verified_dark(product=product),
    }
    return render_page(request, "products/detail.html", context)


@require_GET
def product_live(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Ask CitrusAd now what it holds for this product, beside the local record."""
    product = get_product_for(request.user, pk, "syncs.check_product_live")
    comparison = product_live_check(product=product)
    context = {
        "product": product,
        "live": comparison,
        "can_retry": request.user.has_perm("syncs.retry_sync"),
    }
    return render_page(request, "products/live.html", context, partial="live")


@require_http_methods(["GET", "POST"])
def product_delete_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Confirm, then ask CitrusAd to delete the product (permanent for advertisers)."""
    product = get_product_for(request.user, pk, "syncs.request_product_deletion")
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        # A second click finds the deletion already requested and changes nothing.
        product_delete(product=product, actor=request.user)
        messages.success(
            request,
            f"Deletion of {product.gtin} requested. It takes 30–60 minutes in CitrusAd.",
        )
        return redirect("product_detail", pk=pk)
    return render(request, "products/delete_confirm.html", {"product": product, "form": form})
