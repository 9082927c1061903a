from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from syncs.forms import OrderSearchForm
from syncs.models import SyncKind
from syncs.selectors.audit import audit_event_for
from syncs.selectors.history import field_history_list
from syncs.selectors.orders import order_customer, order_items_with_products
from syncs.selectors.orders import order_search as order_search_query
from syncs.selectors.sync_batches import sync_batch_for_key
from syncs.selectors.sync_states import sync_state_for
from syncs.views.access import HtmxHttpRequest, get_order_for, render_page, require_permission


@require_GET
def order_search(request: HtmxHttpRequest) -> HttpResponse:
    require_permission(request.user, "syncs.view_order")
    form = OrderSearchForm(request.GET)
    page = None
    if form.is_valid():
        page = order_search_query(q=form.cleaned_data["q"], paging=form.paging())
    context = {
        "form": form,
        "page": page,
        "orders": page.rows if page else [],
        "q": form.cleaned_data.get("q", "") if form.is_valid() else "",
    }
    return render_page(request, "orders/search.html", context, partial="results")


@require_GET
def order_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    order = get_order_for(request.user, pk)
    states = sync_state_for(kind=SyncKind.ORDER, object_ids=[order.pk]).get(order.pk, {})
    context = {
        "order": order,
        "customer": order_customer(order=order),
        "items": order_items_with_products(order=order),
        "states": states,
        "ever_confirmed": any(state.confirmed_version for state in states.values()),
        "history_days": settings.SYNC_HISTORY_RETENTION_DAYS,
        "batches": sync_batch_for_key(key=order.order_id, kind=SyncKind.ORDER),
        "events": audit_event_for(object_kind="order", object_id=order.pk),
        "field_history": field_history_list(kind=SyncKind.ORDER, object_id=order.pk),
        "can_import": request.user.has_perm("syncs.import_data"),
        "can_retry": request.user.has_perm("syncs.retry_sync"),
    }
    return render_page(request, "orders/detail.html", context)
