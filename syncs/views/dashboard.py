from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from syncs.destinations import destination_get
from syncs.models import SyncKind
from syncs.roles import kinds_visible_to
from syncs.selectors.alerts import incidents_live
from syncs.selectors.destinations import destination_reachability
from syncs.selectors.pace import destination_pace_list
from syncs.selectors.stockouts import stockout_summary
from syncs.selectors.sync_batches import sync_batch_hourly
from syncs.selectors.sync_states import sync_overview, sync_state_recent_failures
from syncs.services.push.pausing import destination_resume_checked
from syncs.services.stockouts import stockout_check_start
from syncs.views.access import HtmxHttpRequest, render_page, require_permission, safe_next


@require_GET
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    """Where each destination stands; the page polls its own #dashboard partial."""
    overview = sync_overview()
    reachability = {r.destination: r for r in destination_reachability() if r.unreachable}
    context = {
        "reachability": reachability,
        "reachability_problems": [r.label for r in reachability.values()],
        "overview": overview,
        "failed_total": sum(kind.failed for o in overview for kind in o.kinds),
        "hourly": sync_batch_hourly(hours=24),
        "failures": sync_state_recent_failures(
            limit=10, kinds=kinds_visible_to(request.user, SyncKind.values)
        ),
        "paces": destination_pace_list(),
        "sandbox_in_use": settings.SANDBOX_IN_USE,
        "alerts": incidents_live(),
        "stockouts": stockout_summary(),
    }
    return render_page(request, "syncs/dashboard.html", context, partial="dashboard")


@require_POST
def destination_resume(request: HtmxHttpRequest, name: str) -> HttpResponse:
    """Resume a paused destination, after one test request says its credentials now work."""
    require_permission(request.user, "syncs.resume_destination")
    try:
        label = destination_get(name).label
    except ValueError:
        raise Http404("No such destination.") from None
    resumed, lines = destination_resume_checked(destination=name, actor=request.user)
    if resumed:
        messages.success(
            request, f"{label} resumed: its test request passed; pending rows go out now."
        )
    else:
        messages.error(request, f"{label} stays paused: its test request failed. {' '.join(lines)}")
    return redirect(safe_next(request, reverse("home")))


@require_POST
def stockout_check_now(request: HtmxHttpRequest) -> HttpResponse:
    """Start the stock-out check now (a second click finds it running)."""
    require_permission(request.user, "syncs.run_stockout_check")
    check = stockout_check_start(trigger="manual", actor=request.user)
    if check is None:
        messages.info(request, "A stock-out check is running already; its result appears here.")
    else:
        messages.success(
            request,
            f"Stock-out check started: CitrusAd is asked about {check.products:,} products.",
        )
    return redirect("home")
