from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syncs.forms import ImportListForm, ImportUploadForm, RevertForm
from syncs.models import ImportJob, ImportStatus
from syncs.selectors.imports import import_job_follow_up, import_job_get, import_job_list
from syncs.services.import_files import import_job_error_csv
from syncs.services.import_revert import (
    REMOTE_DELETION,
    import_job_revert,
    import_revert_for,
    import_revert_preview,
    import_revert_problem,
)
from syncs.services.imports import (
    import_job_cancel,
    import_job_create,
    import_job_start_real,
)
from syncs.views.access import HtmxHttpRequest, render_page, require_permission


def _get_import_for(user: AbstractBaseUser, pk: int) -> ImportJob:
    require_permission(user, "syncs.import_data")
    job = import_job_get(job_id=pk)
    if job is None:
        raise Http404("No such import.")
    return job


@require_http_methods(["GET", "POST"])
def import_list(request: HtmxHttpRequest) -> HttpResponse:
    """Upload a CSV (dry run first by default) and follow every import's progress."""
    require_permission(request.user, "syncs.import_data")
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                job = import_job_create(
                    kind=data["kind"],
                    actor=request.user,
                    uploaded_file=data["file"],
                    catalog=data["catalog"],
                    dry_run=data["dry_run"],
                    skip_invalid=data["skip_invalid"],
                    confirm_large_change=data["confirm_large_change"],
                    encoding=data["encoding"],
                )
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                return redirect("import_detail", pk=job.pk)
    else:
        form = ImportUploadForm(initial={"dry_run": True})
    page = import_job_list(paging=ImportListForm(request.GET).paging())
    context = {
        "form": form,
        "page": page,
        "jobs": page.rows,
        "any_running": any(not job.is_finished for job in page.rows),
        "max_stockout_share": settings.IMPORT_MAX_STOCKOUT_SHARE * 100,
    }
    status = 400 if form.errors else 200
    return render_page(request, "imports/list.html", context, partial="jobs", status=status)


@require_GET
def import_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    job = _get_import_for(request.user, pk)
    # The upload and error files go after IMPORT_FILES_RETENTION_DAYS (import_files_prune); the
    # job stays, and its page says so instead of offering them.
    days = settings.IMPORT_FILES_RETENTION_DAYS
    pruned = job.finished_at is not None and job.finished_at < timezone.now() - timedelta(days=days)
    upload_removed = pruned and not job.file_path
    error_file_removed = pruned and job.rows_invalid > 0 and not job.error_file_path
    clean_dry_run = (
        not upload_removed
        and job.dry_run
        and job.status == ImportStatus.SUCCEEDED
        and not job.rows_invalid
        and not job.needs_confirmation
    )
    # From a dry run with invalid rows: the same file, skipping them, without uploading again.
    valid_rows_importable = (
        not upload_removed
        and job.dry_run
        and job.status == ImportStatus.SUCCEEDED
        and job.rows_invalid
        and not job.skip_invalid
        and (job.rows_created or job.rows_updated)
    )
    finished_import = job.is_finished and not job.is_revert
    context = {
        "job": job,
        "clean_dry_run": clean_dry_run,
        "valid_rows_importable": valid_rows_importable,
        "upload_removed": upload_removed,
        "error_file_removed": error_file_removed,
        "retention_days": days,
        "follow_up": import_job_follow_up(job=job) if finished_import else None,
        "revert": import_revert_for(job=job) if finished_import else None,
        "revertable": finished_import and not import_revert_problem(job=job),
    }
    return render_page(request, "imports/detail.html", context, partial="job")


@require_POST
def import_run(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Import for real: after a clean dry run, or after the safeguard stopped the import.

    Once per file: a second click finds the import already started and goes to it.
    """
    job = _get_import_for(request.user, pk)
    try:
        follow_up = import_job_start_real(
            job=job, actor=request.user, valid_rows_only=request.POST.get("valid_only") == "1"
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("import_detail", pk=pk)
    return redirect("import_detail", pk=follow_up.pk)


@require_POST
def import_cancel(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    job = _get_import_for(request.user, pk)
    if import_job_cancel(job=job, actor=request.user):
        messages.success(request, "Import cancelled: nothing was written.")
    else:
        messages.info(request, "That import had already finished.")
    return redirect("import_detail", pk=pk)


@require_GET
def import_errors_csv(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Every invalid row with its error, as a CSV to fix and upload again."""
    job = _get_import_for(request.user, pk)
    response = StreamingHttpResponse(
        import_job_error_csv(job=job), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response


@require_http_methods(["GET", "POST"])
def import_revert(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Revert an import: the confirmation counts the rows, its POST starts the revert job."""
    job = _get_import_for(request.user, pk)
    started = import_revert_for(job=job)
    if started is not None:
        return redirect("import_detail", pk=started.pk)
    problem = import_revert_problem(job=job)
    if problem:
        messages.error(request, problem)
        return redirect("import_detail", pk=pk)
    form = RevertForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            revert = import_job_revert(
                job=job, actor=request.user, delete_remote=form.cleaned_data["delete_remote"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("import_detail", pk=pk)
        return redirect("import_detail", pk=revert.pk)
    context = {
        "job": job,
        "form": form,
        "preview": import_revert_preview(job=job),
        "remote_deletion": REMOTE_DELETION.get(job.kind, ""),
    }
    status = 400 if form.errors else 200
    return render_page(request, "imports/revert_confirm.html", context, status=status)
