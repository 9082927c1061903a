from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from syncs.forms import parse_row_id
from syncs.imports.summary import summary_lines
from syncs.models import Catalog, ImportEncoding, ImportKind, ImportStatus
from syncs.services.imports import import_job_create, import_job_run


class Command(BaseCommand):
    help = (
        "Import a products, customers or orders CSV in this process (no worker needed), "
        "then print the counts and the first errors. See 'CSV imports' in the README."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=ImportKind.values)
        parser.add_argument("file")
        parser.add_argument(
            "--catalog",
            help="Products: the catalog for rows without catalogId (CitrusAd or local id).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Validate and count, write nothing."
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Import the valid rows even when some rows are invalid.",
        )
        parser.add_argument(
            "--i-mean-it",
            dest="confirm_large_change",
            action="store_true",
            help="Go ahead although the import stocks out or changes much of a catalog.",
        )
        parser.add_argument(
            "--encoding",
            choices=[value for value in ImportEncoding.values if value],
            help="The file's encoding (detected when not given).",
        )

    def handle(self, *args, kind, file, catalog, dry_run, skip_invalid, **options):
        chosen = None
        if catalog:
            chosen = Catalog.objects.filter(citrusad_id=catalog).first()
            if chosen is None and parse_row_id(catalog) is not None:
                chosen = Catalog.objects.filter(pk=parse_row_id(catalog)).first()
            if chosen is None:
                raise CommandError(f"No catalog has the id {catalog!r}.")
        try:
            job = import_job_create(
                kind=kind,
                actor=None,
                path=file,
                catalog=chosen,
                dry_run=dry_run,
                skip_invalid=skip_invalid,
                confirm_large_change=options["confirm_large_change"],
                encoding=options["encoding"],
                enqueue=False,
            )
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        job = import_job_run(job_id=job.pk)
        self.stdout.write(
            f"Import {job.pk} ({job.kind}, {job.original_name}): {job.status}\n"
            f"  read {job.rows_read:,}  created {job.rows_created:,}  "
            f"updated {job.rows_updated:,}  unchanged {job.rows_unchanged:,}  "
            f"invalid {job.rows_invalid:,}"
        )
        if job.rows_warned:
            self.stdout.write(f"  warnings {job.rows_warned:,} (imported as they are)")
        for line in summary_lines(job.changes, dry_run=job.dry_run):
            self.stdout.write(line)
        for error in job.errors[:20]:
            self.stdout.write(f"  line {error['line']}: {error['message']}")
        for warning in job.warnings[:20]:
            self.stdout.write(f"  line {warning['line']}: warning: {warning['message']}")
        if job.rows_invalid > len(job.errors[:20]) or job.rows_warned > len(job.warnings[:20]):
            self.stdout.write(f"  … every row with its error or warning: {job.error_file_path}")
        self.stdout.write(job.message)
        if job.status != ImportStatus.SUCCEEDED:
            raise CommandError(f"Import {job.pk} {job.status}.")
