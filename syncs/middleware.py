"""Request-level security: who the client is, uploads before login, idle sessions and private
pages, and holding a half-signed-in user at the second factor."""

import psycopg
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.db import OperationalError
from django.db.backends.signals import connection_created
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
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


class _SkipFiles(FileUploadHandler):
    """Reads the form fields of a multipart body and drops every file in it unstored."""

    def new_file(self, *args, **kwargs):
        raise SkipFile()

    def receive_data_chunk(self, raw_data, start):
        return None

    def file_complete(self, file_size):
        return None


class UploadGateMiddleware:
    """An upload is stored only for someone who may upload (the import permission).

    Django parses a POST body on first access, and the CSRF check is that first access: a large
    multipart upload would be written to the temp folder before the login redirect or the 403.
    So, ahead of CsrfViewMiddleware: someone not logged in is sent to the login page with the
    body unread; anyone else who may not import gets the form fields with every file dropped
    unstored (the view then answers as usual).
    """

    permission = "syncs.import_data"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.method != "POST" or request.content_type != "multipart/form-data":
            return None
        user = request.user
        if not user.is_authenticated and getattr(view_func, "login_required", True):
            return redirect_to_login(request.get_full_path())
        if not user.has_perm(self.permission):
            request.upload_handlers = [_SkipFiles(request)]
        return None


class SessionActivityMiddleware:
    """Sessions end after SESSION_IDLE_TIMEOUT without activity, and signed-in pages are private.

    Activity is what a person does: page loads and POSTs renew the session; the htmx GETs that
    pages send by themselves (the dashboard and status chips refresh every few seconds) do not,
    so a tab left open does not keep a session alive. Every answer to a signed-in user holds
    their data (customers, orders, error files): `Cache-Control: no-store` keeps it out of
    browser and proxy caches. An htmx request whose session has ended is sent to the login page
    as a whole page, not swapped into a fragment.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated:
            if not (request.method == "GET" and request.headers.get("HX-Request")):
                request.session.modified = True  # saved with a new expiry
            add_never_cache_headers(response)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            request.headers.get("HX-Request")
            and not request.user.is_authenticated
            and getattr(view_func, "login_required", True)
        ):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = redirect_to_login(request.get_full_path()).url
            return response
        return None


def _web_statement_timeout(sender, connection, **kwargs) -> None:
    seconds = settings.DATABASE_STATEMENT_TIMEOUT
    if connection.vendor == "postgresql" and seconds:
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = %s", [int(seconds * 1000)])


class StatementTimeoutMiddleware:
    """Web requests' SQL statements stop after DATABASE_STATEMENT_TIMEOUT.

    Middleware is loaded by the web handlers only (gunicorn, runserver, the test client), never
    by a Celery worker or a management command, so connecting the signal here limits exactly the
    web processes' connections. A statement cut short answers 503, with a message, not a 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        connection_created.connect(_web_statement_timeout, dispatch_uid="web-statement-timeout")

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, OperationalError) and isinstance(
            exception.__cause__, psycopg.errors.QueryCanceled
        ):
            return render(
                request,
                "503.html",
                {"message": "The database took too long to answer. Narrow the search or retry."},
                status=503,
            )
        return None
