"""The second step of a login (a code from an authenticator app) and setting one up."""

from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_http_methods

from syncs.forms import SecondFactorCodeForm
from syncs.services.second_factor import (
    SESSION_KEY,
    second_factor_confirm,
    second_factor_has,
    second_factor_start,
    second_factor_verify,
)
from syncs.views.access import HtmxHttpRequest, render_page, safe_next


def _done(request: HtmxHttpRequest) -> HttpResponse:
    request.session.pop(SESSION_KEY, None)
    request.session.cycle_key()  # a new session id once fully signed in
    return redirect(safe_next(request, "/"))


@require_http_methods(["GET", "POST"])
def second_factor_verify_view(request: HtmxHttpRequest) -> HttpResponse:
    """After the password: the code from the user's authenticator app."""
    form = SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if second_factor_verify(user=request.user, token=form.cleaned_data["code"].strip()):
            return _done(request)
        form.add_error("code", "That code is not right (or came too late). Try the next one.")
    context = {"form": form, "next": safe_next(request, "")}
    status = 400 if form.errors else 200
    return render_page(request, "registration/second_factor_verify.html", context, status=status)


@require_http_methods(["GET", "POST"])
def second_factor_setup_view(request: HtmxHttpRequest) -> HttpResponse:
    """Scan a QR code with an authenticator app and confirm with its first code."""
    if second_factor_has(user=request.user) and not request.session.get(SESSION_KEY):
        return render_page(request, "registration/second_factor_setup.html", {"already": True})
    form = SecondFactorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if second_factor_confirm(user=request.user, token=form.cleaned_data["code"].strip()):
            messages.success(request, "Your authenticator app is set up: logins now ask for it.")
            return _done(request)
        form.add_error("code", "That code is not right: check the time on your phone and retry.")
    device = second_factor_start(user=request.user)
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage)
    context = {
        "form": form,
        # qrcode draws the SVG from the otpauth:// URL alone: nothing of the request is in it.
        "qr_svg": mark_safe(image.to_string(encoding="unicode")),  # noqa: S308
        "secret": _base32(device.bin_key),
        "required": bool(request.session.get(SESSION_KEY)),
        "next": safe_next(request, ""),
    }
    status = 400 if form.errors else 200
    return render_page(request, "registration/second_factor_setup.html", context, status=status)


def _base32(key: bytes) -> str:
    """The key as authenticator apps take it typed in: base32, in groups of four."""
    text = b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def locked_out(request, credentials: dict | None = None, *args, **kwargs) -> HttpResponse:
    """django-axes' answer to a login while the user name or the address is locked out."""
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {
        "username": username[:150],
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
    }
    return render(request, "registration/locked_out.html", context, status=429)
