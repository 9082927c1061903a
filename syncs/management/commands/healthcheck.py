"""The container's health check: GET /healthz of the local web server as a browser would.

Docker runs it inside the web container. It asks over plain HTTP (/healthz is exempt from the
HTTPS redirect) with a Host header that ALLOWED_HOSTS accepts, so it works with the production
settings as they are. Exit status 0 when /healthz answers 200, 1 otherwise.
"""

import urllib.error
import urllib.request

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def _allowed_host() -> str:
    for host in settings.ALLOWED_HOSTS:
        host = host.lstrip(".")  # ".example.com" allows example.com itself
        if host and host != "*":
            return host
    return "localhost"


class Command(BaseCommand):
    help = "Exit 0 when the local web server's /healthz answers 200 (for docker compose)."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000/healthz")
        parser.add_argument("--timeout", type=float, default=5.0)

    def handle(self, *args, url, timeout, **options):
        if not url.startswith(("http://", "https://")):
            raise CommandError("--url must be an http(s) URL.")
        request = urllib.request.Request(url, headers={"Host": _allowed_host()})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                body = response.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            raise CommandError(f"{url} answered {exc.code}: {exc.read().decode()[:500]}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise CommandError(f"{url} did not answer: {exc}") from None
        self.stdout.write(body)
