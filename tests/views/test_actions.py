"""The POSTs: CSRF, role, target state (double clicks are harmless), audit, messages."""

import pytest
from django.test import Client
from django.urls import reverse

from syncs.models import AuditEvent, Catalog, Customer, DeletionState, Product, SyncState
from tests.factories import ProductFactory
from tests.views.conftest import make_batch, make_state

pytestmark = pytest.mark.django_db


def _events(action):
    return AuditEvent.objects.filter(action=action).count()


@pytest.mark.parametrize(
    ("name", "needs_pk"),
    [
        ("product_stock", True),
        ("product_bulk_stock", False),
        ("product_delete", True),
        ("row_retry", False),
        ("batch_retry", True),
        ("customer_forget", True),
        ("catalog_create", False),
        ("catalog_register", False),
        ("destination_resume", "citrusad"),
    ],
)
def test_every_post_needs_a_csrf_token(admin_user, product, name, needs_pk):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    args = [] if needs_pk is False else ["citrusad" if needs_pk == "citrusad" else product.pk]
    assert client.post(reverse(name, args=args), {"state": "out"}).status_code == 403


def test_stock_out_sends_the_target_state_and_a_double_click_is_harmless(
    client, merchandiser, product
):
    client.force_login(merchandiser)
    url = reverse("product_stock", args=[product.pk])
    for _ in range(2):
        response = client.post(url, {"state": "out"}, headers={"HX-Request": "true"})
        assert response.status_code == 200
    product.refresh_from_db()
    assert product.inventory == 0 and product.restore_inventory == 25
    assert product.version == 2, "the second click must not bump the version again"
    assert _events("product.stock_out") == 1
    html = response.content.decode()
    assert f'id="product-{product.pk}"' in html and "<html" not in html
    assert 'name="state" value="in"' in html, "the row now offers Restore"
    state = SyncState.objects.get(kind="product", object_id=product.pk)
    assert state.status == "pending" and state.priority == 0
    assert 'hx-trigger="every 2s"' in html, "a pending chip polls until confirmed"


def test_restore_puts_back_the_inventory(client, merchandiser, product):
    client.force_login(merchandiser)
    url = reverse("product_stock", args=[product.pk])
    client.post(url, {"state": "out"})
    response = client.post(url, {"state": "in"})
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.inventory == 25 and product.restore_inventory is None


def test_restore_without_anything_to_restore_says_why(client, merchandiser, catalog):
    product = ProductFactory(catalog=catalog, inventory=0)
    client.force_login(merchandiser)
    response = client.post(
        reverse("product_stock", args=[product.pk]), {"state": "in"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "no inventory to restore" in response.content.decode()


def test_stock_form_rejects_a_flip_or_nonsense(client, merchandiser, product):
    client.force_login(merchandiser)
    response = client.post(reverse("product_stock", args=[product.pk]), {"state": "toggle"})
    assert response.status_code == 302
    product.refresh_from_db()
    assert product.inventory == 25


def test_stock_toggle_needs_the_merchandiser_role(client, product):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.post(reverse("product_stock", args=[product.pk]), {"state": "out"})
    assert response.status_code == 403
    assert "merchandiser role" in response.content.decode()


def test_bulk_stock_out_confirms_the_count_then_writes(client, merchandiser, catalog):
    matching = [ProductFactory(catalog=catalog, name=f"Rye bread {i}") for i in range(3)]
    ProductFactory(catalog=catalog, name="Oat milk")
    client.force_login(merchandiser)
    url = reverse("product_bulk_stock")
    form = {"q": "rye", "state": "out", "scope": "search"}
    preview = client.post(url, form)
    assert preview.status_code == 200
    assert "Stock out 3 products?" in preview.content.decode()
    assert Product.objects.filter(inventory=0).count() == 0, "the preview writes nothing"
    # 3 of the catalog's 4 products is above BULK_TYPED_CONFIRM_SHARE: the number is typed.
    done = client.post(url, {**form, "confirm": "on", "typed_count": "3"})
    assert done.status_code == 302
    assert set(Product.objects.filter(inventory=0)) == set(matching)
    again = client.post(url, {**form, "confirm": "on", "typed_count": "3"}, follow=True)
    html = again.content.decode()
    assert "Nothing to change" in html and "3 products you chose" in html
    assert "Yes, stock out" not in html


def test_bulk_stock_out_of_selected_products(client, merchandiser, catalog):
    chosen = [ProductFactory(catalog=catalog) for _ in range(2)]
    other = ProductFactory(catalog=catalog)
    client.force_login(merchandiser)
    form = {
        "state": "out",
        "scope": "selected",
        "product_ids": [p.pk for p in chosen],
        "confirm": "on",
        "typed_count": "2",  # 2 of the catalog's 3 products
    }
    assert client.post(reverse("product_bulk_stock"), form).status_code == 302
    other.refresh_from_db()
    assert other.inventory == 25
    assert all(p.inventory == 0 for p in Product.objects.filter(pk__in=[p.pk for p in chosen]))


def test_bulk_with_nothing_selected_says_so(client, merchandiser):
    client.force_login(merchandiser)
    response = client.post(reverse("product_bulk_stock"), {"state": "out", "scope": "selected"})
    assert response.status_code == 400
    assert "Select at least one product" in response.content.decode()


def test_delete_needs_confirmation_then_is_requested_once(client, support, product):
    client.force_login(support)
    url = reverse("product_delete", args=[product.pk])
    page = client.get(url).content.decode()
    assert "permanent for advertisers" in page and "Stock out instead" in page
    unconfirmed = client.post(url, {})
    assert unconfirmed.status_code == 200
    assert "Tick the box" in unconfirmed.content.decode()
    product.refresh_from_db()
    assert product.deletion_state == DeletionState.ACTIVE
    for _ in range(2):
        response = client.post(url, {"confirm": "on"}, follow=True)
    assert "takes 30–60 minutes in CitrusAd" in response.content.decode()
    product.refresh_from_db()
    assert product.deletion_state == DeletionState.REQUESTED
    assert _events("product.delete") == 1


def test_merchandisers_cannot_delete(client, merchandiser, product):
    client.force_login(merchandiser)
    response = client.post(reverse("product_delete", args=[product.pk]), {"confirm": "on"})
    assert response.status_code == 403
    assert "support role" in response.content.decode()


def test_retry_a_failed_row_from_the_dashboard(client, support, product):
    make_state(product, kind="product", status="failed", last_error="bad price")
    client.force_login(support)
    form = {"destination": "citrusad", "kind": "product", "object_id": product.pk}
    dashboard = client.get(reverse("home")).content.decode()
    assert "bad price" in dashboard and "Retry" in dashboard
    for _ in range(2):
        response = client.post(reverse("row_retry"), form, headers={"HX-Request": "true"})
        assert response.status_code == 200
    assert "Queued again" in response.content.decode()
    assert SyncState.objects.get(object_id=product.pk).status == "pending"
    assert _events("sync.retry") >= 1


def test_retry_with_a_broken_form_is_a_400_not_a_500(client, support):
    client.force_login(support)
    assert client.post(reverse("row_retry"), {"kind": "x"}).status_code == 400


def test_merchandisers_cannot_retry(client, merchandiser, product):
    make_state(product, kind="product", status="failed")
    client.force_login(merchandiser)
    form = {"destination": "citrusad", "kind": "product", "object_id": product.pk}
    assert client.post(reverse("row_retry"), form).status_code == 403


def test_batch_retry_requeues_its_failed_rows(client, support, product):
    batch = make_batch(keys=[product.gtin], outcome="rejected", error="invalid price")
    make_state(product, kind="product", status="failed", last_batch=batch)
    client.force_login(support)
    detail = client.get(reverse("batch_detail", args=[batch.pk])).content.decode()
    assert "invalid price" in detail and "Retry the failed rows (1)" in detail
    response = client.post(reverse("batch_retry", args=[batch.pk]), follow=True)
    assert "1 failed row queued again" in response.content.decode()
    response = client.post(reverse("batch_retry", args=[batch.pk]), follow=True)
    assert "Nothing in this batch is failed any more" in response.content.decode()


def test_forget_a_customer_after_confirming(client, support, customer):
    client.force_login(support)
    url = reverse("customer_forget", args=[customer.pk])
    assert "cannot be undone" in client.get(url).content.decode()
    assert client.post(url, {}).status_code == 200
    customer.refresh_from_db()
    assert not customer.is_forgotten
    for _ in range(2):
        assert client.post(url, {"confirm": "on"}).status_code == 302
    customer.refresh_from_db()
    assert customer.is_forgotten
    assert _events("customer.forget") == 1
    delete_url = reverse("customer_delete", args=[customer.pk])
    client.post(delete_url, {"confirm": "on"})
    assert Customer.objects.get(pk=customer.pk).is_deleted


def test_catalog_register_and_create(client, admin_user):
    client.force_login(admin_user)
    form = {"name": "Pantry", "citrusad_id": "cat-123", "team_id": ""}
    assert client.post(reverse("catalog_register"), form).status_code == 302
    again = client.post(reverse("catalog_register"), form, follow=True)
    assert "registered already" in again.content.decode()
    clash = client.post(reverse("catalog_register"), {**form, "name": "Other"})
    assert clash.status_code == 400 and "already registered" in clash.content.decode()
    for _ in range(2):
        assert client.post(reverse("catalog_create"), {"name": "Frozen"}).status_code == 302
    assert Catalog.objects.filter(name="Frozen").count() == 1, "a double submit creates one"
    page = client.get(reverse("catalog_list")).content.decode()
    assert "Frozen" in page and "being created" in page


def test_catalog_forms_need_admin(client, support):
    client.force_login(support)
    response = client.post(reverse("catalog_create"), {"name": "x"})
    assert response.status_code == 403 and "admin role" in response.content.decode()
    assert not Catalog.objects.filter(name="x").exists()


def test_catalog_create_with_an_empty_name_says_so(client, admin_user):
    client.force_login(admin_user)
    response = client.post(reverse("catalog_create"), {"name": "  "})
    assert response.status_code == 400
    assert 'class="error"' in response.content.decode()


def test_resume_a_paused_destination(client, admin_user, support, sandbox):
    from syncs.models import Destination

    Destination.objects.filter(name="citrusad").update(paused=True, paused_reason="HTTP 401")
    client.force_login(support)
    assert client.post(reverse("destination_resume", args=["citrusad"])).status_code == 403
    client.force_login(admin_user)
    page = client.get(reverse("home")).content.decode()
    assert "CitrusAd is paused" in page and "HTTP 401" in page
    assert client.post(reverse("destination_resume", args=["citrusad"])).status_code == 302
    assert not Destination.objects.get(name="citrusad").paused
    assert client.post(reverse("destination_resume", args=["nowhere"])).status_code == 404
