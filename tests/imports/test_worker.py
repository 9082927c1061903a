"""An upload imported by a real Celery worker (Redis), whose push then reaches the sandbox."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syncs.models import ImportJob, Product
from syncs.services.imports import import_job_create
from tests.worker_fixtures import wait_for

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]

CATALOG = "628dbe95-2ec9-4e07-881d-3e9f92ab2e0b"


def test_an_upload_is_imported_by_a_worker_and_pushed(celery_workers, sandbox, settings, tmp_path):
    var_dir = tmp_path / "var"
    settings.MEDIA_ROOT = var_dir / "uploads"  # what the worker derives from CITRUSADMIN_VAR_DIR
    celery_workers.start(env={**sandbox.env(), "CITRUSADMIN_VAR_DIR": str(var_dir)})
    content = f"catalogId,gtin,inventory,price\n{CATALOG},04006381333931,7,1.99\n"

    job = import_job_create(
        kind="products",
        actor=None,
        uploaded_file=SimpleUploadedFile("catalog.csv", content.encode()),
    )

    wait_for(
        lambda: ImportJob.objects.get(pk=job.pk).is_finished,
        timeout=60,
        message="the worker did not finish the import",
    )
    job.refresh_from_db()
    assert job.status == "succeeded", job.message
    assert Product.objects.get().inventory == 7
    wait_for(
        lambda: sandbox.product(CATALOG, "04006381333931") is not None,
        timeout=60,
        message="the imported product did not reach the sandbox",
    )
    assert sandbox.product(CATALOG, "04006381333931")["inventory"] == 7
