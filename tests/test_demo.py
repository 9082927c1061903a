"""`make demo` with CITRUSADMIN_VAR_DIR: everything goes there, nothing into the repository."""

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.worker
# Written by any Python or pytest run, not by the demo.
NOISE = ("__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache")


DEMO_PORTS = ("PORT", "SANDBOX_PORT", "INBOX_SMTP_PORT", "INBOX_PORT", "FEEDS_PORT")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _repo_files() -> dict[str, float]:
    """Every file in the repository folder (tracked or not, .venv aside) and its mtime."""
    found = {}
    for path in ROOT.rglob("*"):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in (".venv", ".git") or any(p in NOISE for p in relative.parts):
            continue
        if path.is_file():
            found[str(relative)] = path.stat().st_mtime
    return found


def _wait_for(condition, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _demo_module():
    spec = importlib.util.spec_from_file_location("demo", ROOT / "scripts" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sandbox_pushes(port: str) -> list:
    url = f"http://127.0.0.1:{port}/_sandbox/requests?bodies=0&method=POST&path_prefix=/v1/"
    with urllib.request.urlopen(url, timeout=10) as answer:  # noqa: S310
        return json.load(answer)["requests"]


def _queues(command: list[str]) -> set[str]:
    return set(command[command.index("--queues") + 1].split(","))


def test_the_demo_runs_a_worker_on_the_priority_queue_alone():
    """A stock-out in the demo never waits for a process an import or a bulk drain holds."""
    from syncs.queues import Queue

    workers = _demo_module().worker_commands()
    assert {Queue.PRIORITY} in [_queues(command) for command in workers.values()]
    assert set().union(*map(_queues, workers.values())) == set(Queue)
    # Two workers on one machine need two names.
    names = [
        command[command.index("--hostname") + 1]
        for command in workers.values()
        if "--hostname" in command
    ]
    assert len(names) == len(set(names)) >= len(workers) - 1
    # Their start-up banners would push the demo's own (URL, logins) off the screen.
    assert all("--quiet" in command for command in workers.values())


def test_the_demo_sandbox_does_not_log_each_request():
    """A line per request would push the banner (URL, logins) off the screen within seconds."""
    assert "--quiet" in _demo_module().sandbox_command()


def test_every_port_of_the_demo_can_be_chosen(monkeypatch):
    """Two demos on one machine: each port the demo opens comes from the environment."""
    for offset, name in enumerate(DEMO_PORTS):
        monkeypatch.setenv(name, str(18800 + offset))
    demo = _demo_module()
    opened = (demo.WEB_PORT, demo.SANDBOX_PORT, demo.INBOX_SMTP_PORT, demo.INBOX_PORT)
    assert (*opened, demo.FEEDS_PORT) == tuple(range(18800, 18805))
    assert str(demo.SANDBOX_PORT) in demo.sandbox_command()


def test_demo_keeps_everything_in_citrusadmin_var_dir(tmp_path):
    var_dir = tmp_path / "not" / "there" / "yet"
    ports = {name: str(_free_port()) for name in DEMO_PORTS}
    # A machine with only Python: none of the test run's own settings (tests/settings.py sets
    # DEBUG, SECRET_KEY... in os.environ).
    ours = ("DATABASE_URL", "REDIS_URL", "CELERY_", "CITRUSAD_", "CUSTOBAR_", "SECURE_", "DEBUG")
    ours += ("SECRET_KEY", "ALLOWED_HOSTS", "SESSION_", "CSRF_", "DJANGO_SETTINGS_MODULE")
    ours += ("STORED_SECRETS_KEY", "FEED_CREDENTIALS_KEY")
    env = {key: value for key, value in os.environ.items() if not key.startswith(ours)}
    # Every port the demo listens on: another demo on this machine holds the defaults.
    env.update(CITRUSADMIN_VAR_DIR=str(var_dir), **ports)
    before = _repo_files()
    demo = subprocess.Popen(
        [sys.executable, "scripts/demo.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(demo.stdout), daemon=True)
    reader.start()
    try:
        _wait_for(
            lambda: "demo is running" in "".join(output) or demo.poll() is not None,
            300,
            "the demo's banner",
        )
        assert demo.poll() is None, "".join(output)[-3000:]
        banner = "".join(output)
        started = banner.split("Started: ", 1)[1].split("\n", 1)[0].split(", ")
        assert {"worker", "priority-worker"} <= set(started)
        assert str(var_dir / "citrusadmin.sqlite3") in banner
        assert str(var_dir / "broker") in banner
        healthz = f"http://127.0.0.1:{ports['PORT']}/healthz"
        with urllib.request.urlopen(healthz, timeout=10) as answer:  # noqa: S310
            assert answer.status == 200
        # celerybeat-schedule, or .dat/.dir/.bak where Python's dbm is the plain-file one.
        _wait_for(lambda: list(var_dir.glob("celerybeat-schedule*")), 60, "beat's schedule")
        assert (var_dir / "citrusadmin.sqlite3").is_file()
        assert (var_dir / "broker").is_dir()
        # Its own key for stored secrets: the sandbox's webhook endpoint was added with it.
        assert (var_dir / "demo-stored-secrets.key").is_file()
        # A worker took the demo data's pushes: it is connected to the file broker.
        _wait_for(lambda: _sandbox_pushes(ports["SANDBOX_PORT"]), 120, "the first push")
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        try:
            demo.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait(10)
    reader.join(10)
    # kombu warned "No hostname was supplied" once per process connecting to a file broker
    # URL without a host; the inbox's SMTP server logged each connection.
    printed = "".join(output)
    assert "No hostname was supplied" not in printed and "mail.log" not in printed, printed
    after = _repo_files()
    written = sorted(name for name, mtime in after.items() if before.get(name) != mtime)
    assert written == [], f"the demo wrote into the repository: {written}"
