"""Write a CSV to a temporary file and run an import of it in-process, as the command does."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from syncs.imports import engine
from syncs.models import ImportJob
from syncs.services.import_files import import_job_error_csv
from syncs.services.imports import import_job_create, import_job_run

_counter = iter(range(1, 1_000_000))


def write_csv(tmp_path: Path, content: str | bytes, *, encoding: str = "utf-8") -> Path:
    path = tmp_path / f"upload-{next(_counter)}.csv"
    if isinstance(content, str):
        content = content.encode(encoding)
    path.write_bytes(content)
    return path


def run_import(tmp_path: Path, kind: str, content: str | bytes, **options) -> ImportJob:
    file_encoding = options.pop("file_encoding", "utf-8")
    path = write_csv(tmp_path, content, encoding=file_encoding)
    job = import_job_create(
        kind=kind, actor=options.pop("actor", None), path=path, enqueue=False, **options
    )
    return import_job_run(job_id=job.pk)


class _Undo(Exception):
    pass


def chunked_path(monkeypatch) -> None:
    """Make every kind take the chunked path (SQLite's) on this database."""
    for kind in ("Product", "Customer", "Order"):
        chunked = getattr(engine, f"{kind}ChunkedImport")
        monkeypatch.setattr(engine, f"{kind}CopyImport", chunked)


def job_snapshot(job: ImportJob) -> dict:
    """Everything a person sees of a finished import: counts, messages, errors, warnings, the
    field summary, and the error file."""
    fields = (
        "status", "message", "rows_read", "rows_created", "rows_updated", "rows_unchanged",
        "rows_invalid", "rows_warned", "errors", "warnings", "changes", "safeguard",
    )  # fmt: skip
    snapshot = {name: getattr(job, name) for name in fields}
    snapshot["error_file"] = "".join(import_job_error_csv(job=job))
    return snapshot


def both_paths(tmp_path, monkeypatch, kind: str, *files: str, **options) -> dict:
    """Import the files in turn on this database's path and on the chunked path, each inside a
    savepoint rolled back afterwards; check both end in the same job snapshot, and return it."""
    snapshots = []
    for chunked in (False, True):
        with monkeypatch.context() as patched:
            if chunked:
                chunked_path(patched)
            try:
                with transaction.atomic():
                    for content in files:
                        job = run_import(tmp_path, kind, content, **options)
                    snapshots.append(job_snapshot(job))
                    raise _Undo
            except _Undo:
                pass
    differences = {
        name: (value, snapshots[1][name])
        for name, value in snapshots[0].items()
        if value != snapshots[1][name]
    }
    assert not differences, f"this database's path vs the chunked path: {differences}"
    return snapshots[0]


def upload_on_the_page(client, content: str, **options) -> ImportJob:
    """Upload a products CSV through the imports page, as an admin does; returns the queued job."""
    form = {
        "kind": "products",
        "file": SimpleUploadedFile("products.csv", content.encode(), content_type="text/csv"),
        **options,
    }
    response = client.post(reverse("import_list"), form)
    assert response.status_code == 302, response.content.decode()
    job = ImportJob.objects.latest("id")
    assert response["Location"] == reverse("import_detail", args=[job.pk])
    return job
