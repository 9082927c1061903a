"""Webhooks page (admins): add an endpoint, change it, rotate its secret, remove it.

A secret is in exactly two responses, the one that created it and the one that rotated it,
and those are never cached.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET, require_POST

from syncs.forms import ConfirmForm, WebhookEndpointForm
from syncs.models import WebhookEndpoint
from syncs.selectors.webhooks import webhook_endpoint_get, webhook_endpoint_list
from syncs.services.webhooks import (
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_rotate_secret,
    webhook_endpoint_update,
)
from syncs.views.access import HtmxHttpRequest, render_page, require_permission

PERMISSION = "syncs.manage_webhooks"


def _endpoint_for(request: HtmxHttpRequest, pk: int) -> WebhookEndpoint:
    require_permission(request.user, PERMISSION)
    endpoint = webhook_endpoint_get(endpoint_id=pk)
    if endpoint is None:
        raise Http404("No such webhook endpoint.")
    return endpoint


def _page(
    request: HtmxHttpRequest,
    *,
    form: WebhookEndpointForm | None = None,
    secret_for: WebhookEndpoint | None = None,
    secret: str = "",
    status: int = 200,
) -> HttpResponse:
    context = {
        "rows": webhook_endpoint_list(),
        "form": form or WebhookEndpointForm(),
        "secret_for": secret_for,
        "secret": secret,
    }
    response = render_page(request, "webhooks/list.html", context, status=status)
    if secret:
        patch_cache_control(response, no_store=True)
    return response


@require_GET
def webhook_list(request: HtmxHttpRequest) -> HttpResponse:
    require_permission(request.user, PERMISSION)
    return _page(request)


@require_POST
def webhook_create(request: HtmxHttpRequest) -> HttpResponse:
    """Add an endpoint and show its secret, this once."""
    require_permission(request.user, PERMISSION)
    form = WebhookEndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint, secret = webhook_endpoint_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return _page(request, secret_for=endpoint, secret=secret, status=201)
    return _page(request, form=form, status=400)


@require_POST
def webhook_update(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint_for(request, pk)
    form = WebhookEndpointForm(request.POST)
    if form.is_valid():
        try:
            webhook_endpoint_update(endpoint=endpoint, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Webhook endpoint {form.cleaned_data['name']} saved.")
            return redirect("webhook_list")
    messages.error(request, "Not saved: " + " ".join(_errors(form)))
    return redirect("webhook_list")


@require_POST
def webhook_rotate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """A new secret, shown this once; the old one signs too for a day."""
    endpoint = _endpoint_for(request, pk)
    if not ConfirmForm(request.POST).is_valid():
        messages.error(request, "Tick the box to confirm the new secret.")
        return redirect("webhook_list")
    try:
        secret = webhook_endpoint_rotate_secret(endpoint=endpoint, actor=request.user)
    except ValidationError as exc:
        messages.error(request, "No new secret: " + " ".join(exc.messages))
        return redirect("webhook_list")
    return _page(request, secret_for=endpoint, secret=secret)


@require_POST
def webhook_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint_for(request, pk)
    if not ConfirmForm(request.POST).is_valid():
        messages.error(request, "Tick the box to confirm the removal.")
        return redirect("webhook_list")
    webhook_endpoint_delete(endpoint=endpoint, actor=request.user)
    messages.success(request, f"Webhook endpoint {endpoint.name} removed.")
    return redirect("webhook_list")


def _errors(form: WebhookEndpointForm) -> list[str]:
    return [str(error) for errors in form.errors.values() for error in errors]
