"""Pytest plugin: real Celery worker subprocesses on the test database and the test Redis.

    @pytest.mark.worker
    @pytest.mark.django_db(transaction=True)
    def test_pushes(celery_workers, sandbox):
        celery_workers.start(env=sandbox.env())
        ...  # commit rows, then poll the database or sandbox.received() with a deadline

Workers only see committed data, hence `transaction=True`; the flush after such a test is
followed by `syncs.apps.reference_data_ensure`, which puts the roles and destinations back. The
queues and the engine's enqueue flags in the test Redis are emptied before the first worker
starts, so no message from an earlier test is picked up. Every worker still running at the end
of the test is stopped (SIGTERM, then SIGKILL).
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from syncs.queues import Queue

ROOT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 60.0


def wait_for(condition, *, timeout: float, interval: float = 0.05, message=""):
    """Poll `condition()` until it returns something truthy; fail with `message` at the deadline.

    `message` may be a callable, to describe the state at the moment it failed.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            text = message() if callable(message) else message
            pytest.fail(text or f"condition not met within {timeout}s")
        time.sleep(interval)


def worker_database_url() -> str:
    """A DATABASE_URL for the database this test runs on (pytest-django's `test_<name>`)."""
    db = connection.settings_dict
    if not db["ENGINE"].endswith("postgresql"):
        pytest.fail("Worker subprocesses need PostgreSQL: set DATABASE_URL=postgres://…")
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{db['NAME']}"


class WorkerProcess:
    def __init__(self, process: subprocess.Popen, log_path: Path, name: str):
        self.process = process
        self.log_path = log_path
        self.name = name

    @property
    def pid(self) -> int:
        return self.process.pid

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL the worker and its pool children at once, like a host that dies."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self, timeout: float = 20.0) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


class WorkerPool:
    """Starts workers for one test and stops them all afterwards."""

    def __init__(self, tmp_path: Path):
        self.tmp_path = tmp_path
        self.workers: list[WorkerProcess] = []
        self._cleaned = False

    def _clean_redis(self) -> None:
        import redis

        client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        client.delete(*Queue, "unacked", "unacked_index")
        for key in client.scan_iter("citrusadmin:sync:*"):
            client.delete(key)
        client.close()

    def start(
        self,
        *,
        env: dict[str, str] | None = None,
        queues: tuple[str, ...] = tuple(Queue),
        concurrency: int = 1,
        beat: bool = False,
        wait_ready: bool = True,
    ) -> WorkerProcess:
        """Start `celery worker` on the test database and Redis; returns once it is ready.

        `beat=True` embeds the beat scheduler (`-B`), so the periodic sweep runs as in production.
        """
        broker = settings.CELERY_BROKER_URL
        if not broker.startswith("redis"):
            pytest.fail("Worker subprocesses need Redis: set REDIS_URL=redis://…")
        if not self._cleaned:
            self._clean_redis()
            self._cleaned = True
        name = f"test-{uuid.uuid4().hex[:8]}"
        log_path = self.tmp_path / f"{name}.log"
        child_env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": worker_database_url(),
            "REDIS_URL": broker,
            "CONN_MAX_AGE": "0",
            "PYTHONUNBUFFERED": "1",
            **(env or {}),
        }
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "citrusadmin",
            "worker",
            "-Q",
            ",".join(queues),
            "--concurrency",
            str(concurrency),
            "--pool",
            "prefork",
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "INFO",
        ]
        if beat:
            command += ["--beat", "--schedule", str(self.tmp_path / f"{name}-beat-schedule")]
        with log_path.open("wb") as log_file:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=child_env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so kill() takes the pool too
            )
        worker = WorkerProcess(process, log_path, name)
        self.workers.append(worker)
        if wait_ready:
            wait_for(
                lambda: " ready." in worker.log() or process.poll() is not None,
                timeout=READY_TIMEOUT,
                interval=0.1,
                message=f"worker {name} did not start",
            )
            if process.poll() is not None:
                pytest.fail(f"worker {name} exited at start:\n{worker.log()[-3000:]}")
        return worker

    def stop_all(self) -> None:
        for worker in self.workers:
            worker.stop()


@pytest.fixture
def celery_workers(transactional_db, tmp_path):
    """Start real Celery workers with `.start(env=...)`; all are stopped after the test.

    Requesting `transactional_db` makes the workers stop before the database is flushed.
    """
    pool = WorkerPool(tmp_path)
    yield pool
    pool.stop_all()
