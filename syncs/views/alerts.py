"""The Alerts page: open incidents, who acknowledged them, their history, and the channels."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from syncs.alerts.channels import CHANNELS
from syncs.alerts.delivery import channels_test
from syncs.alerts.incidents import incident_acknowledge
from syncs.forms import FeedRunFilterForm
from syncs.selectors.alerts import incident_get, incident_list, incidents_live
from syncs.views.access import HtmxHttpRequest, render_page, require_permission


@require_GET
def alert_list(request: HtmxHttpRequest) -> HttpResponse:
    """Live incidents first, then every incident newest first; the channels, without secrets."""
    require_permission(request.user, "syncs.view_incident")
    filters = FeedRunFilterForm(request.GET)
    before = filters.cleaned_data.get("before") if filters.is_valid() else None
    history, next_id = incident_list(before_id=before)
    context = {
        "live": incidents_live(),
        "history": history,
        "next_id": next_id,
        "channels": [
            {
                "label": channel.label,
                "configured": channel.configured(),
                "description": channel.describe() if channel.configured() else "",
            }
            for channel in CHANNELS
        ],
    }
    return render_page(request, "alerts/list.html", context, partial="live")


@require_POST
def alert_acknowledge(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """ "I'm on it": the incident is marked with who and when; no reminder follows."""
    require_permission(request.user, "syncs.acknowledge_incident")
    incident = incident_get(incident_id=pk)
    if incident is None:
        raise Http404("No such alert.")
    if incident_acknowledge(incident=incident, actor=request.user):
        messages.success(request, f"Acknowledged: {incident.title}.")
    else:
        messages.info(request, "That alert was already acknowledged or resolved.")
    return redirect("alert_list")


@require_POST
def alert_channels_test(request: HtmxHttpRequest) -> HttpResponse:
    """Send a test message on every configured channel, and say how each went."""
    require_permission(request.user, "syncs.test_alert_channels")
    results = channels_test(actor=request.user)
    if not results:
        messages.error(request, "No channel is configured: set ALERT_EMAILS or ALERT_WEBHOOK_URL.")
    for label, outcome in results:
        if outcome == "sent":
            messages.success(request, f"{label}: test message sent.")
        else:
            messages.error(request, f"{label}: {outcome}")
    return redirect("alert_list")
