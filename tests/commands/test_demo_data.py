import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from stdnum import ean

from syncs.models import Catalog, Customer, Order, Product, SyncState

pytestmark = pytest.mark.django_db


def test_demo_data_creates_users_catalogs_and_realistic_rows(settings, rf):
    settings.DEBUG = True
    out = io.StringIO()
    call_command(
        "demo_data", "--products", "300", "--customers", "40", "--orders", "20", stdout=out
    )
    for username, password in (
        ("merchandiser", "citrus-merch-2026"),
        ("support", "citrus-support-2026"),
        ("admin", "citrus-admin-2026"),
    ):
        user = authenticate(rf.post("/login/"), username=username, password=password)
        assert user is not None
        assert user.groups.get().name == username
        assert f"{username} / {password}" in out.getvalue()
    assert Catalog.objects.count() == 2
    assert Product.objects.count() == 300
    product = Product.objects.first()
    assert ean.is_valid(product.gtin)
    assert any(f in ("hfss:true", "hfss:false") for f in product.filters)
    assert any(f.startswith("location:") for f in product.filters)
    assert any(f.startswith("category:") for f in product.filters)
    assert Customer.objects.count() == 40 and Order.objects.count() == 20
    assert Order.objects.filter(items__isnull=False).distinct().count() == 20
    # Everything is pending for the worker: products, customers on both platforms, orders.
    assert SyncState.objects.filter(kind="product", status="pending").count() == 300
    assert SyncState.objects.filter(kind="customer").count() == 80
    assert SyncState.objects.filter(kind="order").count() == 20


def test_running_it_twice_does_not_duplicate(settings):
    settings.DEBUG = True
    call_command(
        "demo_data", "--products", "30", "--customers", "5", "--orders", "5", stdout=io.StringIO()
    )
    out = io.StringIO()
    call_command("demo_data", "--products", "30", "--customers", "5", "--orders", "5", stdout=out)
    assert "already present" in out.getvalue()
    assert Product.objects.count() == 30


def test_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="only with DEBUG on"):
        call_command("demo_data", stdout=io.StringIO())
    assert not Product.objects.exists()
