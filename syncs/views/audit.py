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
    page = None
    if form.is_valid():
        data = form.cleaned_data
        page = audit_event_list(
            actor=data["actor"].strip(),
            action=data["action"].strip(),
            object_kind=data["object_kind"].strip(),
            object_id=data["object_id"].strip(),
            paging=form.paging(),
        )
    context = {"form": form, "page": page, "events": page.rows if page else []}
    return render_page(request, "audit/list.html", context, partial="results")
