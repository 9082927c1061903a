"""Request-level security: who the client is, and holding a half-signed-in user at the second
factor."""

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from syncs.services.second_factor import SESSION_KEY, VERIFY, second_factor_step


def client_address(request) -> str:
    """The client's address for login throttling.

    Behind the TLS proxy (BEHIND_TLS_PROXY) every request comes from the proxy, which appends
    the address it saw to X-Forwarded-For: the last entry is the one to trust, the earlier ones
    are whatever the client sent.
    """
    if settings.SECURE_PROXY_SSL_HEADER:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def second_factor_on_login(sender, request, user, **kwargs) -> None:
    """Connected to user_logged_in (SyncsConfig.ready): note what the login still needs."""
    if request is not None and hasattr(request, "session"):
        step = second_factor_step(user=user)
        if step:
            request.session[SESSION_KEY] = step
        else:
            request.session.pop(SESSION_KEY, None)


class SecondFactorMiddleware:
    """Until the second step of the login is done, every page that needs a login answers with
    a redirect to it (or HX-Redirect for htmx)."""

    allowed = ("second_factor_verify", "second_factor_setup", "logout")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        step = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if not step or not request.user.is_authenticated:
            return None
        if not getattr(view_func, "login_required", True):
            return None  # /healthz, /metrics, the login page
        if request.resolver_match and request.resolver_match.url_name in self.allowed:
            return None
        name = "second_factor_verify" if step == VERIFY else "second_factor_setup"
        target = reverse(name) + "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
