from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from syncs.list_forms import ActivityForm, AuditFilterForm, PageForm
from syncs.models import SyncKind
from syncs.roles import kinds_visible_to
from syncs.selectors.audit import (
    audit_event_children,
    audit_event_get,
    audit_event_list,
    audit_event_push_outcomes,
)
from syncs.views.access import HtmxHttpRequest, render_page, require_permission


@require_GET
def audit_list(request: HtmxHttpRequest) -> HttpResponse:
    """Who did what to which object, newest first: filterable by parts of names and dates,
    each change as a field table, a bulk action as one entry that opens to its rows."""
    require_permission(request.user, "syncs.view_auditevent")
    form = AuditFilterForm(request.GET)
    page = None
    if form.is_valid():
        page = audit_event_list(**form.selector_kwargs(), paging=form.paging())
    context = {"form": form, "page": page, "events": page.rows if page else []}
    return render_page(request, "audit/list.html", context, partial="results")


@require_GET
def audit_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """One entry and the entries it stands for (a bulk action's products)."""
    require_permission(request.user, "syncs.view_auditevent")
    event = audit_event_get(event_id=pk)
    if event is None:
        raise Http404("No such audit entry.")
    children = audit_event_children(event=event, paging=PageForm(request.GET).paging())
    context = {"event": event, "page": children, "children": children.rows}
    return render_page(request, "audit/detail.html", context, partial="children")


@require_GET
def my_activity(request: HtmxHttpRequest) -> HttpResponse:
    """What I did, newest first, and where each change stands in the destinations now."""
    page = audit_event_list(actor_id=request.user.pk, paging=ActivityForm(request.GET).paging())
    context = {
        "page": page,
        "events": page.rows,
        "outcomes": audit_event_push_outcomes(events=page.rows),
        # A role taken away since: the entries stay, the personal data in them does not show.
        "hidden_kinds": set(SyncKind.values) - set(kinds_visible_to(request.user, SyncKind.values)),
    }
    return render_page(request, "audit/activity.html", context, partial="results")
