from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from syncs.destinations import destination_get
from syncs.models import SyncKind
from syncs.roles import kinds_visible_to
from syncs.selectors.alerts import incidents_live
from syncs.selectors.pace import destination_pace_list
from syncs.selectors.stockouts import stockout_summary
from syncs.selectors.sync_batches import sync_batch_hourly
from syncs.selectors.sync_states import sync_overview, sync_state_recent_failures
from syncs.services.push import destination_resume as destination_resume_service
from syncs.services.stockouts import stockout_check_start
from syncs.views.access import HtmxHttpRequest, render_page, require_permission


@require_GET
def dashboard(request: HtmxHttpRequest) -> HttpResponse:
    """Where each destination stands; the page polls its own #dashboard partial."""
    overview = sync_overview()
    context = {
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
    """Resume a paused destination after its credentials were fixed."""
    require_permission(request.user, "syncs.resume_destination")
    try:
        label = destination_get(name).label
    except ValueError:
        raise Http404("No such destination.") from None
    destination_resume_service(destination=name, actor=request.user)
    messages.success(request, f"{label} resumed: pending rows go out now.")
    return redirect("home")


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
