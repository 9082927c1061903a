"""The job page shows what an import changes (alerts on top, columns, inventory, per catalog),
offers "Import the valid rows" after a dry run with invalid rows, and reverting from the page;
product, customer and order pages show their field history."""

import pytest
from django.urls import reverse

from syncs.models import Customer, ImportJob, Order, Product
from syncs.services.import_revert import import_revert_run
from syncs.services.imports import import_job_run
from syncs.services.products import product_update
from tests.factories import CatalogFactory, ProductFactory
from tests.imports.helpers import run_import, upload_on_the_page

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _upload(client, content, **options):
    job = upload_on_the_page(client, content, **options)
    import_job_run(job_id=job.pk)  # what the worker does
    return job


def test_a_dry_run_page_calls_out_cleared_names_and_shows_each_column(client, admin_user):
    catalog = CatalogFactory(citrusad_id="cat-A", name="Groceries")
    ProductFactory(catalog=catalog, gtin="04006381333931", name="Foundation 30mL", inventory=5)
    ProductFactory(catalog=catalog, gtin="SKU-2", name="Cereal", inventory=0)
    client.force_login(admin_user)
    content = "catalogId,gtin,inventory,name\ncat-A,04006381333931,0,\ncat-A,SKU-2,4,Cereal\n"
    job = _upload(client, content, dry_run="on", confirm_large_change="on")

    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()

    alerts = page.index('id="alerts"')
    assert alerts < page.index('id="status-h"'), "the alert is at the top of the page"
    assert "The file clears 1 stored name value" in page
    assert "line 2, 04006381333931: name &quot;Foundation 30mL&quot; → empty" in page
    assert "line 3, SKU-2: inventory 0 → 4" in page
    assert "<strong>1</strong> product would go to zero" in page
    assert "<strong>1</strong> would come back from zero" in page
    assert "Groceries" in page and "Per catalog" in page
    # The page refreshes itself with htmx: the fragment carries the alerts and the changes too.
    fragment = client.get(
        reverse("import_detail", args=[job.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in fragment and fragment.lstrip().startswith('<div id="job"')
    assert 'id="alerts"' in fragment and 'id="changes"' in fragment


def test_import_the_valid_rows_without_uploading_again(client, admin_user):
    client.force_login(admin_user)
    content = "catalogId,gtin,inventory\ncat-A,SKU-1,1\ncat-A,SKU-2,lots\ncat-A,SKU-3,2\n"
    job = _upload(client, content, dry_run="on")
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert "Import the valid rows" in page and "Import now" not in page

    for _ in range(2):  # a double click starts one import
        response = client.post(reverse("import_run", args=[job.pk]), {"valid_only": "1"})
    real = ImportJob.objects.get(dry_run=False)
    assert response["Location"] == reverse("import_detail", args=[real.pk])
    assert real.skip_invalid and real.file_path == job.file_path
    import_job_run(job_id=real.pk)
    assert sorted(Product.objects.values_list("gtin", flat=True)) == ["SKU-1", "SKU-3"]


def test_revert_from_the_page_counts_the_rows_and_runs_as_a_job(client, admin_user, tmp_path):
    first = run_import(tmp_path, "products", "catalogId,gtin,inventory,name\ncat-A,SKU-1,1,Pen\n")
    job = run_import(
        tmp_path,
        "products",
        "catalogId,gtin,inventory,name\ncat-A,SKU-1,1,\ncat-A,SKU-2,1,Ink\n",
        confirm_large_change=True,
    )
    client.force_login(admin_user)
    url = reverse("import_revert", args=[job.pk])
    page = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert url in page

    confirm = client.get(url).content.decode()
    assert "<strong>1</strong> products the import created will be removed" in confirm
    assert "<strong>1</strong> products it updated get their previous values back" in confirm
    assert "Deletion in CitrusAd is permanent for advertisers" in confirm
    assert "Revert 2 rows" in confirm
    assert client.post(url, {}).status_code == 400, "the box must be ticked"
    assert not ImportJob.objects.filter(reverts=job).exists()

    response = client.post(url, {"confirm": "on"})
    revert = ImportJob.objects.get(reverts=job)
    assert response["Location"] == reverse("import_detail", args=[revert.pk])
    assert client.post(url, {"confirm": "on"})["Location"] == response["Location"]
    import_revert_run(job_id=revert.pk)
    page = client.get(reverse("import_detail", args=[revert.pk])).content.decode()
    assert f"Revert #{revert.pk} of import #{job.pk}" in page
    assert "1 restored to their previous values, 1 created by the import removed" in page
    assert Product.objects.get().name == "Pen"
    original = client.get(reverse("import_detail", args=[job.pk])).content.decode()
    assert f"Reverted by #{revert.pk}" in original and url not in original
    first_page = client.get(reverse("import_detail", args=[first.pk])).content.decode()
    assert reverse("import_revert", args=[first.pk]) in first_page


def test_the_revert_page_needs_an_admin_and_a_revertable_import(
    client, support, admin_user, tmp_path
):
    job = run_import(tmp_path, "products", "catalogId,gtin,inventory\ncat-A,SKU-1,1\n")
    url = reverse("import_revert", args=[job.pk])
    assert client.get(url).status_code == 302  # anonymous: to the login page
    client.force_login(support)
    assert client.get(url).status_code == 403
    client.force_login(admin_user)
    assert client.put(url).status_code == 405
    assert "Revert 1 row" in client.get(url, HTTP_HX_REQUEST="true").content.decode()
    dry = run_import(
        tmp_path, "products", "catalogId,gtin,inventory\ncat-A,SKU-1,1\n", dry_run=True
    )
    response = client.get(reverse("import_revert", args=[dry.pk]), follow=True)
    assert "Only an import that wrote rows can be reverted" in response.content.decode()
    assert client.get(reverse("import_revert", args=[999999])).status_code == 404


def test_field_history_on_the_product_customer_and_order_pages(client, admin_user, tmp_path):
    run_import(tmp_path, "products", "catalogId,gtin,inventory,name\ncat-A,SKU-1,1,Pen\n")
    job = run_import(
        tmp_path,
        "products",
        "catalogId,gtin,inventory,name\ncat-A,SKU-1,1,Ink pen\n",
        confirm_large_change=True,
    )
    product = Product.objects.get()
    product_update(product=product, actor=admin_user, data={"name": "Gel pen"})
    client.force_login(admin_user)

    page = client.get(reverse("product_detail", args=[product.pk])).content.decode()
    history = page[page.index('id="field-history"') :]
    assert f"import #{job.pk}</a>" in history
    assert "&quot;Pen&quot;</td><td>&quot;Ink pen&quot;" in history
    assert f"product.update by {admin_user.get_username()}" in history
    assert "&quot;Ink pen&quot;</td><td>&quot;Gel pen&quot;" in history
    assert history.index("Gel pen") < history.index("&quot;Pen&quot;"), "newest first"

    run_import(tmp_path, "customers", "external_id,first_name\nC-1,Ann\n")
    run_import(tmp_path, "customers", "external_id,first_name\nC-1,Annie\n")
    page = client.get(reverse("customer_detail", args=[Customer.objects.get().pk])).content
    assert "&quot;Ann&quot;</td><td>&quot;Annie&quot;" in page.decode()

    header = "id,orderDate,gtin,quantity,regularUnitPrice,totalOrderItemPriceAfterDiscounts\n"
    run_import(tmp_path, "orders", header + "ORD-1,2019-12-02,SKU-1,1,1.00,1.00\n")
    page = client.get(reverse("order_detail", args=[Order.objects.get().pk])).content.decode()
    assert "created" in page[page.index('id="field-history"') :]
