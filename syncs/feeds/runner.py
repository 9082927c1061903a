"""One run of one feed, step by step: look at the file, fetch it only when it changed, import it.

    look()            the source's metadata (ETag, Last-Modified, size, modification time)
    same_as_seen()    equal to what the last run saw, and conclusive → unchanged, nothing fetched
    download()        into the imports folder, hashing as it goes, renewing the run's lease
    same_content()    same SHA-256 as the last file → unchanged (only the metadata moved)
    start_import()    the same import an upload gets: dry-run rules, safeguard, error file

The import runs as its own job (a Celery task, or in this process for `manage.py feed run`),
so a safeguard stop waits on the import's page for a person, like an upload's.
"""

import hashlib
import logging
import time
import traceback
import uuid
from pathlib import Path

from django.conf import settings

from syncs.feeds import runs
from syncs.feeds.credentials import credentials_read, redact
from syncs.feeds.sources import (
    Fingerprint,
    Location,
    Source,
    SourceError,
    location_parse,
    source_error_message,
)
from syncs.models import Feed, FeedRun, ImportJob
from syncs.services.imports import import_job_create, import_upload_dir
from syncs.stored_secrets import StoredSecretError

logger = logging.getLogger("syncs.feeds")

_CHUNK = 1024 * 1024
_RENEW_EVERY = 10.0  # seconds between lease renewals while downloading


class FeedRunner:
    def __init__(self, *, run: FeedRun, enqueue_import: bool = True):
        self.run_id = run.pk
        self.feed: Feed = run.feed
        self.enqueue_import = enqueue_import
        self.secrets: list[str] = []
        self.fingerprint = Fingerprint()
        self.download_path: Path | None = None
        self.sha256 = ""
        self.job: ImportJob | None = None
        self.location = Location(scheme="", url=self.feed.url)

    def run(self) -> ImportJob | None:
        """Carry the run to its end; every outcome is stored on the run, never raised."""
        try:
            with self.open_source() as source:
                self.look(source)
                if self.same_as_seen():
                    return self.finish_unchanged("Unchanged: same file as the last run.")
                self.download(source)
            if self.same_content():
                return self.finish_unchanged("Unchanged: same content as the last file.")
            return self.start_import()
        except runs.RunLost:
            logger.warning("Feed %s run %s was taken for interrupted.", self.feed, self.run_id)
        except (SourceError, StoredSecretError) as exc:
            self.fail(str(exc))
        except Exception as exc:  # every error of every fsspec backend ends the run the same way
            self.fail(source_error_message(exc, self.location), unexpected=exc)
        finally:
            self.discard_download()
        return None

    def open_source(self) -> Source:
        self.location, in_url = location_parse(self.feed.url)
        credentials = credentials_read(
            encrypted=self.feed.credentials_encrypted, from_env=self.feed.credentials_env
        )
        credentials = {**in_url, **credentials}
        self.secrets = [value for value in credentials.values() if value]
        return Source(location=self.location, options=self.feed.options, credentials=credentials)

    def look(self, source: Source) -> None:
        self.fingerprint = source.stat()
        if source.host_key_seen and not self.feed.options.get("host_key"):
            # Trust on first use: from now on the feed accepts this server key only.
            options = {**self.feed.options, "host_key": source.host_key_seen}
            Feed.objects.filter(pk=self.feed.pk).update(options=options)
        runs.run_found(
            run_id=self.run_id,
            found=f"{self.location.name}: {self.fingerprint.describe()}",
            fingerprint=self.fingerprint.as_dict(),
            size=self.fingerprint.size,
        )

    def same_as_seen(self) -> bool:
        return (
            self.fingerprint.conclusive
            and bool(self.feed.seen_sha256)
            and self.fingerprint.as_dict() == self.feed.seen_fingerprint
        )

    def download(self, source: Source) -> None:
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        self.download_path = import_upload_dir() / f"feed-{self.feed.pk}-{uuid.uuid4().hex}.csv"
        digest = hashlib.sha256()
        written = 0
        renewed = time.monotonic()
        with source.open() as remote, open(self.download_path, "wb") as local:
            while chunk := remote.read(_CHUNK):
                written += len(chunk)
                if written > limit:
                    raise SourceError(
                        f"The file is larger than IMPORT_MAX_UPLOAD_BYTES ({limit:,} bytes)."
                    )
                digest.update(chunk)
                local.write(chunk)
                if time.monotonic() - renewed > _RENEW_EVERY:
                    runs.run_renew(run_id=self.run_id)
                    renewed = time.monotonic()
        self.sha256 = digest.hexdigest()
        if self.fingerprint.size is None:
            self.fingerprint.size = written

    def same_content(self) -> bool:
        return self.sha256 == self.feed.seen_sha256

    def finish_unchanged(self, message: str) -> None:
        runs.run_unchanged(
            run_id=self.run_id,
            fingerprint=self.fingerprint.as_dict(),
            sha256=self.sha256,
            message=message,
        )
        return None

    def start_import(self) -> ImportJob:
        path = self.download_path

        def create() -> ImportJob:
            return import_job_create(
                kind=self.feed.kind,
                actor=None,
                path=path,
                original_name=f"{self.feed.name}: {self.location.name}",
                catalog=self.feed.catalog,
                skip_invalid=self.feed.skip_invalid,
                encoding=self.feed.encoding,
                enqueue=self.enqueue_import,
            )

        self.job = runs.run_imported(
            run_id=self.run_id,
            fingerprint=self.fingerprint.as_dict(),
            sha256=self.sha256,
            start_import=create,
        )
        self.download_path = None  # the import job owns the file now
        return self.job

    def fail(self, message: str, unexpected: BaseException | None = None) -> None:
        message = redact(message, self.secrets)
        runs.run_failed(run_id=self.run_id, message=message)
        if unexpected is not None:
            # The traceback without the exception's text, which may quote a credential.
            logger.error(
                "Feed %s run %s failed: %s\n%s",
                self.feed,
                self.run_id,
                message,
                "".join(traceback.format_tb(unexpected.__traceback__)),
            )
        else:
            logger.warning("Feed %s run %s failed: %s", self.feed, self.run_id, message)

    def discard_download(self) -> None:
        if self.download_path is not None:
            self.download_path.unlink(missing_ok=True)
