"""For load balancers and Prometheus: no session, no CSRF, their own checks."""

import hmac

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from syncs.selectors.sync_batches import sync_batch_recent_stats
from syncs.selectors.sync_states import sync_overview
from syncs.services.health import OK, health_check


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer within HEALTHZ_TIMEOUT, else 503 naming the
    part that did not; destinations are reported, not judged."""
    parts, destinations = health_check()
    healthy = all(state == OK for state in parts.values())
    body = {"status": "ok" if healthy else "unavailable", **parts, "destinations": destinations}
    return JsonResponse(body, status=200 if healthy else 503)


def _token_ok(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    given = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else ""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _sample(name: str, labels: dict[str, str], value: float) -> str:
    def escape(text: str) -> str:
        return str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    rendered = ",".join(f'{key}="{escape(val)}"' for key, val in labels.items())
    number = f"{value:.3f}" if isinstance(value, float) else str(value)
    return f"{name}{{{rendered}}} {number}"


_HELP = {
    "citrusadmin_sync_rows": "Rows per destination, kind and sync status.",
    "citrusadmin_sync_lag_seconds": "Age of the oldest change not yet confirmed.",
    "citrusadmin_destination_paused": "1 when a destination rejected our credentials.",
    "citrusadmin_pushes_last_hour": "HTTP attempts in the last hour by outcome.",
    "citrusadmin_push_latency_seconds": "Push latency over the last hour (mean and max).",
}


@login_not_required
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus text format, behind `Authorization: Bearer <METRICS_TOKEN>`.

    Off (404) until METRICS_TOKEN is set, so a deployment never exposes it by accident.
    """
    if not settings.METRICS_TOKEN:
        return HttpResponse("Metrics are off: set METRICS_TOKEN.", status=404)
    if not _token_ok(request):
        return HttpResponse("Wrong or missing token.", status=401)
    samples: dict[str, list[str]] = {name: [] for name in _HELP}
    for overview in sync_overview():
        dest = overview.name
        samples["citrusadmin_destination_paused"].append(
            _sample("citrusadmin_destination_paused", {"destination": dest}, int(overview.paused))
        )
        for k in overview.kinds:
            for status in ("pending", "failed", "confirmed", "unknown"):
                samples["citrusadmin_sync_rows"].append(
                    _sample(
                        "citrusadmin_sync_rows",
                        {"destination": dest, "kind": k.kind, "status": status},
                        getattr(k, status),
                    )
                )
            samples["citrusadmin_sync_lag_seconds"].append(
                _sample(
                    "citrusadmin_sync_lag_seconds",
                    {"destination": dest, "kind": k.kind},
                    float(k.lag_seconds),
                )
            )
    for row in sync_batch_recent_stats(minutes=60):
        labels = {"destination": row["destination"], "kind": row["kind"], "outcome": row["outcome"]}
        samples["citrusadmin_pushes_last_hour"].append(
            _sample("citrusadmin_pushes_last_hour", labels, row["n"])
        )
        for stat in ("mean", "max"):
            samples["citrusadmin_push_latency_seconds"].append(
                _sample(
                    "citrusadmin_push_latency_seconds",
                    {**labels, "stat": stat},
                    float(row[f"{stat}_ms"] or 0) / 1000,
                )
            )
    lines = []
    for name, help_text in _HELP.items():
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", *samples[name]]
    return HttpResponse(
        "\n".join(lines) + "\n", content_type="text/plain; version=0.0.4; charset=utf-8"
    )
