"""`make demo`: migrate, load demo data, then run the sandbox, the workers, beat and the web server.

With nothing configured it uses SQLite and a file-system broker under var/, and points both
destinations at the local sandbox. DATABASE_URL / REDIS_URL switch to PostgreSQL and Redis; real
CITRUSAD_* / CUSTOBAR_* settings switch off the sandbox. Ctrl-C stops everything.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Everything the demo writes (SQLite, the file broker, beat's schedule, uploads) goes here, as
# the settings put it: nothing is written into the repository when CITRUSADMIN_VAR_DIR is set.
VAR_DIR = Path(os.environ.get("CITRUSADMIN_VAR_DIR", "").strip() or ROOT / "var").resolve()
sys.path.insert(0, str(ROOT))

from syncs.queues import Queue  # noqa: E402 (a plain module: no Django needed)

PYTHON = sys.executable
CELERY = str(Path(PYTHON).with_name("celery"))
WEB_PORT = int(os.environ.get("PORT", "8000"))
SANDBOX_PORT = int(os.environ.get("SANDBOX_PORT", "8700"))
SANDBOX_URL = f"http://127.0.0.1:{SANDBOX_PORT}"
# The alert inbox (SMTP + webhook receiver) and a file server for the demo feed.
INBOX_SMTP_PORT = int(os.environ.get("INBOX_SMTP_PORT", "8725"))
INBOX_PORT = int(os.environ.get("INBOX_PORT", "8726"))
FEEDS_PORT = int(os.environ.get("FEEDS_PORT", "8727"))


def demo_environment() -> dict[str, str]:
    env = dict(os.environ)
    env["CITRUSADMIN_VAR_DIR"] = str(VAR_DIR)
    env.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    env.setdefault("DEBUG", "1")
    env.setdefault("DJANGO_SETTINGS_MODULE", "citrusadmin.settings")
    uses_sandbox = not env.get("CITRUSAD_BASE_URL")
    if uses_sandbox:
        env.update(
            CITRUSAD_BASE_URL=SANDBOX_URL,
            CITRUSAD_API_KEY="sandbox-citrusad-key",
            CITRUSAD_TEAM_ID="sandbox-team",
            CUSTOBAR_BASE_URL=SANDBOX_URL,
            CUSTOBAR_API_TOKEN="sandbox-custobar-token",  # noqa: S106 (the sandbox's own token)
            SANDBOX_IN_USE="1",
        )
    if not env.get("ALERT_EMAILS") and not env.get("ALERT_WEBHOOK_URL"):
        # Alerts go to the local inbox, which shows them at http://127.0.0.1:8726/.
        env.update(
            ALERT_EMAILS="ops@example.com",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(INBOX_SMTP_PORT),
            ALERT_WEBHOOK_URL=f"http://127.0.0.1:{INBOX_PORT}/hooks/alerts",
            DEMO_ALERT_INBOX="1",
        )
    env.setdefault("CONSOLE_URL", f"http://127.0.0.1:{WEB_PORT}")
    if not env.get("FEED_CREDENTIALS_KEY"):  # the setting's former name, if you set that
        env.setdefault("STORED_SECRETS_KEY", demo_secrets_key())
    return env


def demo_secrets_key() -> str:
    """A Fernet key for stored secrets (feed credentials, webhook signing secrets), made once
    and kept in var/ (demo only); a var/ from before keeps the key it has."""
    from cryptography.fernet import Fernet

    path = VAR_DIR / "demo-stored-secrets.key"
    former = VAR_DIR / "demo-feed-credentials.key"
    if not path.exists() and former.exists():
        path = former
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return path.read_text().strip()


def demo_feed_file() -> Path:
    """A products file for the demo feed, served over HTTP; edit it to see the feed import."""
    folder = VAR_DIR / "feeds"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "products.csv"
    if not path.exists():
        rows = ["catalogId,gtin,inventory,price,name"]
        rows += [
            f"7f6c2a4e-0c1b-4a57-9d51-5e0b8f3c2a11,FEED-{n:04d},{10 + n},{2 + n % 5}.49,"
            f"Feed product {n}"
            for n in range(1, 21)
        ]
        path.write_text("\n".join(rows) + "\n")
    return path


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def wait_for_port(port: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not port_is_free(port):
            return True
        time.sleep(0.2)
    return False


def worker_commands() -> dict[str, list[str]]:
    """A worker on every queue, and one on the priority queue alone: a manual stock-out never
    waits for a process that an import or a bulk drain holds."""
    worker = [CELERY, "--quiet", "-A", "citrusadmin", "worker", "--loglevel", "WARNING"]
    return {
        "worker": [*worker, "--queues", ",".join(Queue), "--concurrency", "2"],
        "priority-worker": [
            *worker,
            "--queues",
            Queue.PRIORITY,
            "--concurrency",
            "1",
            "--hostname",
            "priority@%h",
        ],
    }


def sandbox_command() -> list[str]:
    """The sandbox, quiet: a line per request would push the banner (URL, logins) off the
    screen within seconds; GET /_sandbox/requests lists what it received."""
    return [PYTHON, "manage.py", "sandbox", "--port", str(SANDBOX_PORT), "--quiet"]


def run(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


def main() -> int:
    env = demo_environment()
    (VAR_DIR / "broker" / "processed").mkdir(parents=True, exist_ok=True)
    ports = [WEB_PORT, FEEDS_PORT]
    ports += [SANDBOX_PORT] if env.get("SANDBOX_IN_USE") else []
    ports += [INBOX_SMTP_PORT, INBOX_PORT] if env.get("DEMO_ALERT_INBOX") else []
    for port in ports:
        if not port_is_free(port):
            print(
                f"Port {port} is taken: stop what runs there (or set PORT / SANDBOX_PORT / "
                "INBOX_SMTP_PORT / INBOX_PORT / FEEDS_PORT)."
            )
            return 1

    run(env, "migrate", "--noinput", "-v", "0")

    processes: dict[str, subprocess.Popen] = {}
    if env.get("SANDBOX_IN_USE"):
        processes["sandbox"] = subprocess.Popen(sandbox_command(), cwd=ROOT, env=env)
        if not wait_for_port(SANDBOX_PORT, 20):
            print("The sandbox did not start; see its output above.")
            return stop(processes, 1)
    try:
        if "sandbox" in processes:
            # Before the demo data, so its rows go to the webhook endpoint too (signed
            # batches the sandbox's receiver verifies).
            run(env, "sandbox_webhook", "--sandbox-url", SANDBOX_URL)
        run(env, "demo_data")
    except subprocess.CalledProcessError:
        return stop(processes, 1)

    commands = {}
    if env.get("DEMO_ALERT_INBOX"):
        commands["inbox"] = [
            PYTHON,
            "manage.py",
            "alert_inbox",
            "--smtp-port",
            str(INBOX_SMTP_PORT),
            "--http-port",
            str(INBOX_PORT),
        ]
    feed_file = demo_feed_file()
    commands["files"] = [
        PYTHON,
        "-m",
        "http.server",
        str(FEEDS_PORT),
        "--bind",
        "127.0.0.1",
        "--directory",
        str(feed_file.parent),
    ]
    commands.update(worker_commands())
    commands["beat"] = [
        CELERY,
        "--quiet",  # no start-up banner: the demo's own banner stays on screen
        "-A",
        "citrusadmin",
        "beat",
        "--loglevel",
        "WARNING",
        "--schedule",
        str(VAR_DIR / "celerybeat-schedule"),
    ]
    commands["web"] = [PYTHON, "manage.py", "runserver", "--noreload", f"127.0.0.1:{WEB_PORT}"]

    for name, command in commands.items():
        processes[name] = subprocess.Popen(command, cwd=ROOT, env=env)
    if not wait_for_port(WEB_PORT, 30):
        print("The web server did not start; see its output above.")
        return stop(processes, 1)

    database = env.get("DATABASE_URL") or f"SQLite ({VAR_DIR / 'citrusadmin.sqlite3'})"
    broker = (
        env.get("CELERY_BROKER_URL")
        or env.get("REDIS_URL")
        or f"file-system broker ({VAR_DIR / 'broker'})"
    )
    print("\ncitrusadmin demo is running. Started: " + ", ".join(processes))
    print(f"  Console:   http://127.0.0.1:{WEB_PORT}/")
    if "sandbox" in processes:
        print(f"  Sandbox:   {SANDBOX_URL}/  (emulates CitrusAd and Custobar)")
        print(f"  Webhooks:  {SANDBOX_URL}/_sandbox/webhooks  (signed batches, verified)")
    if "inbox" in processes:
        print(f"  Alerts:    http://127.0.0.1:{INBOX_PORT}/  (the e-mails and webhook posts sent)")
    print(f"  Feed file: http://127.0.0.1:{FEEDS_PORT}/products.csv  ({feed_file})")
    print(f"  Database:  {database.split('@')[-1]}")
    print(f"  Broker:    {broker.split('@')[-1]}")
    print("  Log in as merchandiser / citrus-merch-2026, support / citrus-support-2026,")
    print("            admin / citrus-admin-2026")
    print("Press Ctrl-C to stop.\n", flush=True)

    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        while True:
            for name, process in processes.items():
                if process.poll() is not None:
                    print(
                        f"The {name} stopped (exit code {process.returncode}); stopping the demo."
                    )
                    return stop(processes, 1)
            time.sleep(1)
    except KeyboardInterrupt:
        return stop(processes, 0)


def _stop_on_sigterm(signum, frame):
    raise KeyboardInterrupt


def stop(processes: dict[str, subprocess.Popen], code: int) -> int:
    for process in processes.values():
        if process.poll() is None:
            process.terminate()
    for process in processes.values():
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    return code


if __name__ == "__main__":
    sys.exit(main())
