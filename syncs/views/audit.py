from django.http import HttpResponse
from django.views.decorators.http import require_GET

from syncs.forms import AuditFilterForm
from syncs.selectors.audit import audit_event_list
from syncs.views.access import HtmxHttpRequest, render_page, require_permission


@require_GET
def audit_list(request: HtmxHttpRequest) -> HttpResponse:
    """Who did what to which object, newest first, filterable, keyset-paginated."""
    require_permission(request.user, "syncs.view_auditevent")
    form = AuditFilterForm(request.GET)
    events, next_id = [], None
    if form.is_valid():
        data = form.cleaned_data
        events, next_id = audit_event_list(
            actor=data["actor"].strip(),
            action=data["action"].strip(),
            object_kind=data["object_kind"].strip(),
            object_id=data["object_id"].strip(),
            before_id=data.get("before"),
        )
    query = request.GET.copy()
    query.pop("before", None)
    context = {
        "form": form,
        "events": events,
        "next_id": next_id,
        "query": query.urlencode(),
    }
    return render_page(request, "audit/list.html", context, partial="results")
