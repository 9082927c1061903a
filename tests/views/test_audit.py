"""The audit log an admin reads, and every person's own activity."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from syncs.models import AuditEvent, SyncState
from syncs.services.bulk_stock import bulk_stock_start
from syncs.services.products import product_set_stock
from tests.factories import CustomerFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def history(catalog):
    """A merchandiser's stock-out, and a bulk restore of five products by another user."""
    aino = UserFactory(username="aino.merch", role="merchandiser")
    mikko = UserFactory(username="mikko.merch", role="merchandiser")
    single = ProductFactory(catalog=catalog, name="Rye crisp", inventory=12)
    product_set_stock(product=single, state="out", actor=aino)
    many = [ProductFactory(catalog=catalog, inventory=3) for _ in range(5)]
    for product in many:
        product_set_stock(product=product, state="out", actor=mikko)
    bulk = bulk_stock_start(
        state="in", actor=mikko, product_ids=[p.pk for p in many], typed_count=5
    )
    return {"aino": aino, "mikko": mikko, "single": single, "bulk": bulk}


def test_a_bulk_action_is_one_entry_that_opens_to_its_rows(client, admin_user, history):
    client.force_login(admin_user)
    html = client.get(reverse("audit_list"), {"action": "bulk"}).content.decode()
    assert html.count('<tr id="event-') == 1
    assert "5 rows in this action" in html and "product.bulk_restore" in html
    detail = reverse("audit_detail", args=[history["bulk"].audit_event.pk])
    rows = client.get(detail, headers={"HX-Request": "true"}).content.decode()
    assert rows.count("<code>product.restore</code>") == 5 and "<html" not in rows


def test_changes_read_as_a_field_table(client, admin_user, history):
    client.force_login(admin_user)
    html = client.get(reverse("audit_list"), {"object_text": "Rye crisp"}).content.decode()
    assert '<tr class="differs"><th scope="row">inventory</th><td>12</td><td>0</td></tr>' in html
    assert '<th scope="row">restore inventory</th><td>—</td><td>12</td>' in html


def test_filters_match_parts_and_a_date_range(client, admin_user, history):
    client.force_login(admin_user)
    by_part = client.get(reverse("audit_list"), {"actor": "AINO"}).content.decode()
    assert by_part.count('<tr id="event-') == 1 and "aino.merch" in by_part
    AuditEvent.objects.filter(actor=history["aino"]).update(
        created_at=timezone.now() - datetime.timedelta(days=10)
    )
    today = timezone.localdate()
    recent = client.get(
        reverse("audit_list"), {"since": today - datetime.timedelta(days=1), "until": today}
    ).content.decode()
    assert "aino.merch" not in recent and "mikko.merch" in recent
    old = client.get(
        reverse("audit_list"),
        {"since": today - datetime.timedelta(days=11), "until": today - datetime.timedelta(days=9)},
    ).content.decode()
    assert "aino.merch" in old and "mikko.merch" not in old
    wrong = client.get(
        reverse("audit_list"), {"since": today, "until": today - datetime.timedelta(days=1)}
    )
    assert "The end date is before the start date" in wrong.content.decode()


@pytest.mark.parametrize("role", ["merchandiser", "support", "admin", None])
def test_every_role_has_my_activity_with_only_its_own_actions(client, history, role):
    user = UserFactory(role=role) if role else UserFactory()
    client.force_login(user)
    assert "My activity" in client.get(reverse("home")).content.decode()
    html = client.get(reverse("my_activity")).content.decode()
    assert "You have not changed anything yet" in html
    assert "aino.merch" not in html and "Rye crisp" not in html


def test_my_activity_shows_each_push_outcome(client, history):
    SyncState.objects.filter(object_id=history["single"].pk).update(status="failed")
    client.force_login(history["aino"])
    html = client.get(reverse("my_activity")).content.decode()
    assert "product.stock_out" in html and "Rye crisp" in html
    assert 'class="chip failed">CitrusAd: failed' in html
    client.force_login(history["mikko"])
    html = client.get(reverse("my_activity")).content.decode()
    assert "product.bulk_restore" in html and "CitrusAd: 5 pending" in html
    assert html.count("product.stock_out") == 5, "the bulk's own rows are not listed again"


def test_my_activity_hides_personal_data_a_role_may_no_longer_see(client, db):
    from syncs.services.customers import customer_forget

    user = UserFactory(role="support")
    customer = CustomerFactory(email="aino@example.org")
    customer_forget(customer=customer, actor=user)
    user.groups.set([Group.objects.get(name="merchandiser")])  # support taken away
    client.force_login(user)
    html = client.get(reverse("my_activity")).content.decode()
    assert "aino@example.org" not in html and f"customer #{customer.pk}" in html
