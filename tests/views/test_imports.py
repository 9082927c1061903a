"""The import pages: upload, dry run, the errors inline and as a CSV, then "import now"."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from syncs.models import ImportJob, Product
from syncs.services.imports import import_job_run
from tests.imports.helpers import upload_on_the_page

pytestmark = pytest.mark.django_db

HEADER = "catalogId,gtin,inventory,price,name\n"
GOOD_ROW = "cat-A,4006381333931,10,19.99,Pen\n"
BAD_ROW = "cat-A,4006381333948,lots,8.50,Cereal\n"


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_a_bad_row_is_shown_and_downloadable_then_a_fixed_file_imports(client, admin_user):
    client.force_login(admin_user)
    job = upload_on_the_page(client, HEADER + GOOD_ROW + BAD_ROW, dry_run="on")
    running = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 2s"' in running, "an unfinished job polls its own progress"
    import_job_run(job_id=job.pk)  # what the worker does

    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert "Nothing was written: 1 row is invalid" in page
    assert "inventory" in page and "lots" in page
    assert "Import now" not in page, "only a clean dry run offers Import now"
    assert 'hx-trigger="every 2s"' not in page
    download = client.get(reverse("import_errors_csv", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="import-{job.pk}-errors.csv"'
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "4006381333948" in body and "error" in body.splitlines()[0]
    assert "4006381333931" not in body

    fixed = upload_on_the_page(
        client, HEADER + GOOD_ROW + BAD_ROW.replace("lots", "4"), dry_run="on"
    )
    import_job_run(job_id=fixed.pk)
    page = client.get(reverse("import_detail", args=[fixed.pk])).content.decode()
    assert "Import now" in page and not Product.objects.exists()
    for _ in range(2):  # a double click starts one import
        response = client.post(reverse("import_run", args=[fixed.pk]))
    real = ImportJob.objects.get(dry_run=False)
    assert real.original_name == fixed.original_name, "the import keeps the uploaded file's name"
    assert response["Location"] == reverse("import_detail", args=[real.pk])
    import_job_run(job_id=real.pk)
    assert Product.objects.count() == 2
    assert (
        "Go to the import that followed"
        in client.get(reverse("import_detail", args=[fixed.pk])).content.decode()
    )


def test_upload_form_errors_are_messages(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("import_list"), {"kind": "products"})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    response = client.post(
        reverse("import_list"),
        {"kind": "bananas", "file": SimpleUploadedFile("x.csv", b"a\n")},
    )
    assert response.status_code == 400
    assert not ImportJob.objects.exists()


def test_too_large_an_upload_is_refused_with_the_limit(client, admin_user, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1024
    client.force_login(admin_user)
    response = client.post(
        reverse("import_list"),
        {"kind": "products", "file": SimpleUploadedFile("big.csv", b"x" * 4096)},
    )
    assert response.status_code == 400
    assert "IMPORT_MAX_UPLOAD_BYTES" in response.content.decode()


def test_imports_are_for_admins(client, support):
    client.force_login(support)
    response = client.post(reverse("import_list"), {"kind": "products"})
    assert response.status_code == 403 and "admin role" in response.content.decode()


def test_cancel_a_queued_import(client, admin_user):
    client.force_login(admin_user)
    job = upload_on_the_page(client, HEADER + GOOD_ROW)
    response = client.post(reverse("import_cancel", args=[job.pk]), follow=True)
    assert "Import cancelled" in response.content.decode()
    again = client.post(reverse("import_cancel", args=[job.pk]), follow=True)
    assert "already finished" in again.content.decode()
