"""The production settings under gunicorn: the container health check passes, HTTPS is enforced."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def production_server(db, settings):
    """gunicorn with citrusadmin.settings as a deployment sets them (HTTPS redirect on)."""
    database = settings.DATABASES["default"]
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("SECURE_", "DEBUG"))},
        "DJANGO_SETTINGS_MODULE": "citrusadmin.settings",
        "SECRET_KEY": "production-like-test-key-5a1c7e9b3d2f4a6c8e0b1d3f5a7c9e1b",
        "ALLOWED_HOSTS": "console.example.com",
        "DATABASE_URL": (
            f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
        ),
        "CITRUSADMIN_VAR_DIR": str(settings.VAR_DIR),
    }
    env.pop("SESSION_COOKIE_SECURE", None)
    env.pop("CSRF_COOKIE_SECURE", None)
    server = subprocess.Popen(
        [GUNICORN, "citrusadmin.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    assert server.poll() is None, server.stderr.read()[-2000:]
    yield port, env
    server.terminate()
    server.wait(20)


def test_the_compose_health_check_passes_against_production_settings(production_server):
    port, env = production_server
    check = subprocess.run(
        [sys.executable, "manage.py", "healthcheck", "--url", f"http://127.0.0.1:{port}/healthz"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr
    assert '"status": "ok"' in check.stdout


def test_everything_but_healthz_is_redirected_to_https(production_server):
    port, _env = production_server
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/login/", headers={"Host": "console.example.com"}
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.build_opener(NoRedirect).open(request, timeout=10)
    assert answer.value.code == 301
    assert answer.value.headers["Location"] == "https://console.example.com/login/"
