import pytest
from django.contrib.auth.models import Group

from syncs.roles import ROLE_PERMISSIONS, ROLES

pytestmark = pytest.mark.django_db


def _names(group: Group) -> set[str]:
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}


def test_each_role_exists_with_exactly_its_permissions():
    assert set(Group.objects.values_list("name", flat=True)) >= set(ROLES)
    for role in ROLES:
        assert _names(Group.objects.get(name=role)) == set(ROLE_PERMISSIONS[role])


def test_merchandisers_can_stock_out_but_not_delete_or_import(merchandiser):
    assert merchandiser.has_perm("syncs.set_product_stock")
    assert not merchandiser.has_perm("syncs.request_product_deletion")
    assert not merchandiser.has_perm("syncs.manage_catalogs")
    assert not merchandiser.has_perm("syncs.view_customer")


def test_support_can_delete_and_retry_but_not_manage_catalogs(support):
    assert support.has_perm("syncs.set_product_stock")
    assert support.has_perm("syncs.request_product_deletion")
    assert support.has_perm("syncs.retry_sync")
    assert support.has_perm("syncs.check_product_live")
    assert not support.has_perm("syncs.manage_catalogs")
    assert not support.has_perm("syncs.view_auditevent")


def test_admins_can_do_everything_support_can_and_more(admin_user):
    for permission in ROLE_PERMISSIONS["support"]:
        assert admin_user.has_perm(permission)
    assert admin_user.has_perm("syncs.manage_catalogs")
    assert admin_user.has_perm("syncs.resume_destination")
    assert admin_user.has_perm("auth.change_user")


def test_only_admins_can_import_csv_files(merchandiser, support, admin_user):
    assert admin_user.has_perm("syncs.import_data")
    assert admin_user.has_perm("syncs.view_importjob")
    for user in (merchandiser, support):
        assert not user.has_perm("syncs.import_data")
        assert not user.has_perm("syncs.view_importjob")
