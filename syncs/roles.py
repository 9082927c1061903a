"""The three roles and what each may do, as Django groups and permissions.

Each role includes the one before it: support can do what merchandisers do, and admins
what support does. Permissions are "app_label.codename"; the data migrations read them here.
"""

MERCHANDISER = "merchandiser"
SUPPORT = "support"
ADMIN = "admin"
ROLES = (MERCHANDISER, SUPPORT, ADMIN)

_MERCHANDISER = (
    "syncs.view_catalog",
    "syncs.view_product",
    "syncs.set_product_stock",
    "syncs.view_syncstate",
    "syncs.view_syncbatch",
    "syncs.view_destination",
)
_SUPPORT = _MERCHANDISER + (
    "syncs.view_customer",
    "syncs.view_order",
    "syncs.view_orderitem",
    "syncs.request_product_deletion",
    "syncs.check_product_live",
    "syncs.retry_sync",
    "syncs.forget_customer",
    "syncs.view_incident",
    "syncs.acknowledge_incident",
    "syncs.run_stockout_check",
)
_ADMIN = _SUPPORT + (
    "syncs.manage_catalogs",
    "syncs.manage_webhooks",
    "syncs.resume_destination",
    "syncs.view_auditevent",
    "syncs.import_data",
    "syncs.view_importjob",
    "syncs.manage_feeds",
    "syncs.view_feed",
    "syncs.test_alert_channels",
    "auth.view_user",
    "auth.add_user",
    "auth.change_user",
    "auth.delete_user",
    "auth.view_group",
)

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    MERCHANDISER: _MERCHANDISER,
    SUPPORT: _SUPPORT,
    ADMIN: _ADMIN,
}


def apply_role_permissions(apps) -> None:
    """Create the groups and give each exactly its permissions (used by data migrations)."""
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    roles_ensure(apps)


def roles_ensure(apps) -> None:
    """Give each role's group exactly its permissions, creating the group if missing."""
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role, names in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role)
        permissions = []
        for name in names:
            app_label, codename = name.split(".")
            permission = permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            # A permission of a model that a later migration creates does not exist yet: that
            # migration applies the roles again (tests/test_roles.py checks the final sets).
            if permission is not None:
                permissions.append(permission)
        group.permissions.set(permissions)


def user_role(user) -> str:
    """The highest of the three roles the user's groups give, or "" for none."""
    names = {group.name for group in user.groups.all()}
    return next((role for role in reversed(ROLES) if role in names), "")


# What a role must hold to see the contents (items, errors, bodies) of a kind's sync batches and
# failures. A kind not listed here may carry personal data: it needs the customer permission.
KIND_VIEW_PERMISSION = {
    "catalog": "syncs.view_catalog",
    "product": "syncs.view_product",
    "customer": "syncs.view_customer",
    "order": "syncs.view_order",
}


def kind_view_permission(kind: str) -> str:
    return KIND_VIEW_PERMISSION.get(kind, "syncs.view_customer")


def kinds_visible_to(user, kinds) -> list[str]:
    """The kinds (of those given) whose contents the user may see."""
    return [kind for kind in kinds if user.has_perm(kind_view_permission(kind))]
