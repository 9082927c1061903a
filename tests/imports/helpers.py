"""Write a CSV to a temporary file and run an import of it in-process, as the command does."""

from pathlib import Path

from syncs.models import ImportJob
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
