from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from syncs.forms import ConfirmForm, CustomerSearchForm
from syncs.models import SyncKind
from syncs.selectors.audit import audit_event_for
from syncs.selectors.customers import customer_search as customer_search_query
from syncs.selectors.customers import customer_sync_keys
from syncs.selectors.history import field_history_list
from syncs.selectors.sync_batches import sync_batch_for_keys
from syncs.selectors.sync_states import sync_state_for
from syncs.services.customers import customer_forget, customer_mark_deleted
from syncs.services.exports import customer_export_csv
from syncs.views.access import (
    HtmxHttpRequest,
    csv_download,
    get_customer_for,
    render_page,
    require_permission,
)

# Custobar flags that cannot be undone, with the words the confirmation uses.
IRREVERSIBLE_ACTIONS = {
    "forget": (
        "Forget",
        "Custobar erases this customer's personal data (GDPR). It cannot be undone.",
    ),
    "delete": (
        "Mark deleted",
        "Custobar marks this customer deleted. It cannot be undone.",
    ),
}


@require_GET
def customer_search(request: HtmxHttpRequest) -> HttpResponse:
    require_permission(request.user, "syncs.view_customer")
    form = CustomerSearchForm(request.GET)
    page = None
    if form.is_valid():
        page = customer_search_query(q=form.cleaned_data["q"], paging=form.paging())
    context = {
        "form": form,
        "page": page,
        "customers": page.rows if page else [],
        "q": form.cleaned_data.get("q", "") if form.is_valid() else "",
    }
    return render_page(request, "customers/search.html", context, partial="results")


@require_GET
def customer_export(request: HtmxHttpRequest) -> HttpResponse:
    """The customers of the current search as CSV in the import format (personal data: the
    roles that may open customers only, and each export is in the audit log)."""
    require_permission(request.user, "syncs.view_customer")
    form = CustomerSearchForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest("That search could not be read; go back and search again.")
    lines = customer_export_csv(q=form.cleaned_data["q"], actor=request.user)
    return csv_download(lines, "customers.csv")


@require_GET
def customer_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    customer = get_customer_for(request.user, pk)
    states = sync_state_for(kind=SyncKind.CUSTOMER, object_ids=[customer.pk]).get(customer.pk, {})
    keys = customer_sync_keys(customer=customer)
    context = {
        "customer": customer,
        "states": states,
        "ever_confirmed": any(state.confirmed_version for state in states.values()),
        "history_days": settings.SYNC_HISTORY_RETENTION_DAYS,
        "batches": sync_batch_for_keys(keys=keys, kind=SyncKind.CUSTOMER),
        "events": audit_event_for(object_kind="customer", object_id=customer.pk),
        "field_history": field_history_list(kind=SyncKind.CUSTOMER, object_id=customer.pk),
        "can_import": request.user.has_perm("syncs.import_data"),
        "can_forget": request.user.has_perm("syncs.forget_customer"),
        "can_retry": request.user.has_perm("syncs.retry_sync"),
    }
    return render_page(request, "customers/detail.html", context)


@require_http_methods(["GET", "POST"])
def customer_flag(request: HtmxHttpRequest, pk: int, action: str) -> HttpResponse:
    """Confirm, then send Custobar's irreversible is_forgotten / is_deleted."""
    customer = get_customer_for(request.user, pk, "syncs.forget_customer")
    label, warning = IRREVERSIBLE_ACTIONS[action]
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        # The services ignore a customer already marked, so a second click is harmless.
        if action == "forget":
            customer_forget(customer=customer, actor=request.user)
        else:
            customer_mark_deleted(customer=customer, actor=request.user)
        messages.success(request, f"{label}: sent to Custobar with the next push.")
        return redirect("customer_detail", pk=pk)
    context = {
        "customer": customer,
        "form": form,
        "action": action,
        "label": label,
        "warning": warning,
    }
    return render(request, "customers/flag_confirm.html", context)
