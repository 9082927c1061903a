"""The job around an import: the command, the task, cancelling, audit, and hypothesis rows."""

import base64
import csv
import io
import json

import pytest
import redis
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from citrusadmin.celery import app
from syncs.models import AuditEvent, ImportJob, Product
from syncs.queues import Queue, TaskName
from syncs.services.imports import import_job_cancel, import_job_create, import_job_run
from syncs.tasks import import_job_run_task
from tests.factories import CatalogFactory, ProductFactory
from tests.imports.helpers import run_import, write_csv

pytestmark = pytest.mark.django_db

GOOD = "catalogId,gtin,inventory\ncat-A,4006381333931,5\ncat-A,SKU-2,5\n"


def test_the_command_imports_and_prints_the_counts(tmp_path):
    out = io.StringIO()
    call_command("import_csv", "products", str(write_csv(tmp_path, GOOD)), stdout=out)
    assert "read 2  created 2  updated 0  unchanged 0  invalid 0" in out.getvalue()
    assert Product.objects.count() == 2


def test_the_command_prints_errors_and_fails(tmp_path):
    out = io.StringIO()
    path = write_csv(tmp_path, GOOD + "cat-A,SKU 1,1\n")
    with pytest.raises(CommandError, match="failed"):
        call_command("import_csv", "products", str(path), stdout=out)
    assert "line 4: gtin 'SKU 1' contains a space" in out.getvalue()
    assert not Product.objects.exists()


def test_the_command_refuses_an_unknown_catalog(tmp_path):
    with pytest.raises(CommandError, match="No catalog has the id 'nope'"):
        call_command("import_csv", "products", str(write_csv(tmp_path, GOOD)), "--catalog", "nope")
    for odd in ("²", "99999999999999999999"):
        with pytest.raises(CommandError, match="No catalog has the id"):
            call_command("import_csv", "products", str(write_csv(tmp_path, GOOD)), "--catalog", odd)


def test_the_task_runs_the_job_once_committed(tmp_path, django_capture_on_commit_callbacks):
    """Queued on the `imports` queue after the commit (the real broker), then run by the task."""
    if not app.conf.broker_url.startswith("redis"):
        pytest.fail("This test reads the broker: set REDIS_URL=redis://…")
    broker = redis.Redis.from_url(app.conf.broker_url)
    broker.delete(Queue.IMPORTS)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = import_job_create(kind="products", actor=None, path=write_csv(tmp_path, GOOD))
    assert broker.llen(Queue.IMPORTS) == 0  # nothing before the commit
    for callback in callbacks:
        callback()
    (raw,) = broker.lrange(Queue.IMPORTS, 0, -1)
    broker.delete(Queue.IMPORTS)
    message = json.loads(raw)
    _args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    assert message["headers"]["task"] == TaskName.IMPORT_JOB_RUN
    assert kwargs == {"job_id": job.pk}

    import_job_run_task(**kwargs)

    job.refresh_from_db()
    assert job.status == "succeeded" and Product.objects.count() == 2


def test_a_finished_job_is_not_run_again(tmp_path):
    job = run_import(tmp_path, "products", GOOD)
    again = import_job_run(job_id=job.pk)
    assert again.finished_at == job.finished_at
    assert AuditEvent.objects.filter(action="import_finished").count() == 1


def test_a_cancelled_job_writes_nothing(tmp_path, admin_user):
    job = import_job_create(
        kind="products", actor=admin_user, path=write_csv(tmp_path, GOOD), enqueue=False
    )
    assert import_job_cancel(job=job, actor=admin_user)
    job = import_job_run(job_id=job.pk)
    assert job.status == "cancelled" and not Product.objects.exists()
    assert not import_job_cancel(job=job, actor=admin_user)


def test_start_and_finish_are_audited_with_the_actor(tmp_path, admin_user):
    job = run_import(tmp_path, "products", GOOD, actor=admin_user)
    finished = AuditEvent.objects.get(action="import_finished")
    assert finished.actor == admin_user and finished.object_id == str(job.pk)
    assert finished.after["created"] == 2
    assert AuditEvent.objects.filter(action="import_started", actor=admin_user).exists()


_cell = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30
)


@hsettings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(["products", "customers", "orders"]),
    rows=st.lists(st.lists(_cell, min_size=0, max_size=8), min_size=1, max_size=6),
)
def test_generated_rows_never_crash_the_importer(tmp_path, kind, rows):
    headers = {
        "products": ["catalogId", "gtin", "inventory", "price", "tags", "imageUrl"],
        "customers": ["external_id", "email", "phone_number", "can_sms", "targeting:x"],
        "orders": [
            "id",
            "orderDate",
            "gtin",
            "quantity",
            "regularUnitPrice",
            "totalOrderItemPriceAfterDiscounts",
        ],
    }[kind]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    job = run_import(
        tmp_path, kind, buffer.getvalue(), skip_invalid=True, confirm_large_change=True
    )
    assert job.status in ("succeeded", "failed")
    assert "unexpectedly" not in job.message
    assert job.rows_invalid + job.rows_created + job.rows_updated + job.rows_unchanged <= max(
        job.rows_read, 1
    )
    assert ImportJob.objects.filter(pk=job.pk, status="running").count() == 0


def test_a_job_a_dead_worker_left_running_is_run_again_by_the_redelivered_task(tmp_path):
    # Everything is written in one transaction, so a run that died wrote nothing: start over.
    job = import_job_create(
        kind="products", actor=None, path=write_csv(tmp_path, GOOD), enqueue=False
    )
    ImportJob.objects.filter(pk=job.pk).update(status="running")
    job = import_job_run(job_id=job.pk)
    assert job.status == "succeeded" and Product.objects.count() == 2


def test_progress_and_what_the_reader_found_are_stored(tmp_path):
    content = "catalogId;gtin;inventory\n" + "".join(f"cat-A;SKU-{n};1\n" for n in range(25_000))
    job = run_import(tmp_path, "products", content, file_encoding="utf-8")
    assert (job.delimiter, job.detected_encoding) == (";", "utf-8")
    assert job.progress_total == job.file_size == len(content)
    assert job.progress_done == job.file_size and job.rows_created == 25_000


def test_the_command_dry_run_prints_what_each_column_would_change(tmp_path):
    catalog = CatalogFactory(citrusad_id="cat-A")
    ProductFactory(catalog=catalog, gtin="04006381333931", name="Foundation 30mL", inventory=5)
    ProductFactory(catalog=catalog, gtin="SKU-2", name="Cereal", inventory=3)
    content = (
        "catalogId,gtin,inventory,name\n"
        "cat-A,04006381333931,0,\n"
        "cat-A,SKU-2,3,Cereal\n"
        "cat-A,23556578965543,1,Doc example\n"
    )
    out = io.StringIO()
    call_command(
        "import_csv", "products", str(write_csv(tmp_path, content)), "--dry-run", stdout=out
    )

    lines = out.getvalue().splitlines()
    assert lines[1:2] == ["  read 3  created 1  updated 1  unchanged 1  invalid 0"]
    assert lines[2:9] == [
        "  warnings 1 (imported as they are)",
        "!! The file clears 1 stored name value (an empty cell empties the stored value).",
        "Stored values it would change:",
        "  inventory: 1 changed, 0 cleared",
        "    line 2, 04006381333931: inventory 5 → 0",
        "  name: 0 changed, 1 cleared",
        '    line 2, 04006381333931: name "Foundation 30mL" → empty',
    ]
    assert "Inventory: 1 to zero, 0 back from zero." in lines
    assert (
        "  line 4: warning: gtin 23556578965543 has a wrong GS1 check digit (imported as it is)"
        in lines
    )
    assert Product.objects.get(gtin="04006381333931").name == "Foundation 30mL"
