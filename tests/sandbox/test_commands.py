"""`manage.py sandbox` runs a real server; `manage.py citrusad_check` says plainly what is wrong."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.core.management import call_command
from django.core.management.base import CommandError

from syncs.remotes import CitrusAdClient
from syncs.sandbox import bind_is_loopback

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_health(url: str, process: subprocess.Popen, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the sandbox exited early: {process.stdout.read()}")
        try:
            if requests.get(url + "/_sandbox/health", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.05)
    pytest.fail("the sandbox did not answer /_sandbox/health in time")


def test_sandbox_command_serves_with_its_flags():
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "sandbox",
            "--port",
            str(port),
            "--api-key",
            "integrator-key=team-42",
            "--reject-gtin",
            "111",
            "222",
            "--rate429",
            "0",
            "--quiet",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_health(url, process)
        config = requests.get(url + "/_sandbox/config", timeout=5).json()
        assert config["reject_gtins"] == ["111", "222"]
        assert config["api_keys"] == {"count": 1, "team_ids": ["team-42"]}
        client = CitrusAdClient(base_url=url, api_key="integrator-key", team_id="team-42")
        item = {"catalogId": "c", "gtin": "333", "inventory": 2}
        assert client.upsert_catalog_products(items=[item]).items[0]["teamId"] == "team-42"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _sandbox_stderr(host: str) -> str:
    """What `manage.py sandbox --host HOST` printed to stderr once it was serving."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "sandbox", "--host", host, "--port", str(port), "--quiet"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_health(f"http://127.0.0.1:{port}", process)
    finally:
        process.terminate()
        _out, err = process.communicate(timeout=10)
    return err


def test_sandbox_on_a_network_interface_warns_on_stderr():
    err = _sandbox_stderr("0.0.0.0")  # noqa: S104 (what the warning is about)
    assert "WARNING: the sandbox listens on 0.0.0.0" in err
    assert "fixed, public credentials" in err and "--host 127.0.0.1" in err
    assert "sandbox-citrusad-key" not in err  # it says what is exposed, not the key itself


def test_sandbox_on_loopback_says_nothing_on_stderr():
    assert "WARNING" not in _sandbox_stderr("127.0.0.1")


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),  # noqa: S104
        ("::", False),
        ("", False),
        ("192.168.1.20", False),
        ("no-such-host.invalid", False),
    ],
)
def test_which_bind_addresses_are_loopback(host, loopback):
    assert bind_is_loopback(host) is loopback


def test_sandbox_command_refuses_a_bad_flag():
    result = subprocess.run(
        [sys.executable, "manage.py", "sandbox", "--fail-rate", "2"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "--fail-rate" in result.stderr


def test_check_passes_against_the_sandbox(db, sandbox, capsys):
    call_command("citrusad_check")
    out = capsys.readouterr().out
    assert "CitrusAd: OK" in out and "Custobar: OK" in out
    assert "Team id 'sandbox-team' is accepted." in out


def test_check_names_the_wrong_key_and_team(db, sandbox, settings, capsys):
    settings.CITRUSAD_API_KEY = "not-the-key"
    settings.CUSTOBAR_API_TOKEN = "not-the-token"
    with pytest.raises(CommandError, match="2 destination"):
        call_command("citrusad_check")
    out = capsys.readouterr().out
    assert "check CITRUSAD_API_KEY" in out
    assert "check CUSTOBAR_API_TOKEN" in out
    assert "not-the-key" not in out and "not-the-token" not in out
    settings.CITRUSAD_API_KEY = sandbox.env()["CITRUSAD_API_KEY"]
    settings.CITRUSAD_TEAM_ID = "someone-else"
    with pytest.raises(CommandError):
        call_command("citrusad_check", destination=["citrusad"])
    assert "does not belong to this API key" in capsys.readouterr().out


def test_check_says_what_is_missing_or_unreachable(db, sandbox, settings, capsys):
    settings.CITRUSAD_TEAM_ID = ""
    settings.CUSTOBAR_BASE_URL = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(CommandError):
        call_command("citrusad_check")
    out = capsys.readouterr().out
    assert "CitrusAd is off: set CITRUSAD_TEAM_ID." in out
    assert "Cannot reach http://127.0.0.1:" in out


def test_check_reports_a_wrong_custobar_url(sandbox, settings, capsys):
    settings.CUSTOBAR_BASE_URL = sandbox.url + "/elsewhere"
    with pytest.raises(CommandError):
        call_command("citrusad_check", destination=["custobar"])
    assert "check CUSTOBAR_BASE_URL" in capsys.readouterr().out


def test_check_sends_each_webhook_endpoint_a_signed_ping(db, sandbox, capsys):
    from syncs.services.webhooks import webhook_endpoint_create

    endpoint, secret = webhook_endpoint_create(
        name="Shop", url=f"{sandbox.url}/webhooks/shop", kinds=["product"], enabled=True,
        actor=None,
    )  # fmt: skip
    with pytest.raises(CommandError, match="1 destination"):
        call_command("citrusad_check")  # the receiver does not know the secret yet: 401
    assert "Webhook Shop: PROBLEM" in capsys.readouterr().out
    sandbox.webhook_secret_add(secret)
    call_command("citrusad_check", destination=[endpoint.destination_name])
    assert "Webhook Shop: OK" in capsys.readouterr().out
    assert [d["type"] for d in sandbox.webhooks_received()] == ["ping", "ping"]
