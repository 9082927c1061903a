"""Django admin: read-only views of the synced data.

Edits go through the console's services, which bump versions and write audit events; an edit in
the Django admin would bypass both, so the synced models are view-only here.
"""

from django.contrib import admin

from syncs import models


def _superusers_only(request) -> bool:
    """The Django admin can grant any right, so only superusers may open it; admins manage
    users on the console's Users page, which never hands out more than they hold."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Catalog)
class CatalogAdmin(ReadOnlyAdmin):
    list_display = ["name", "citrusad_id", "team_id", "updated_at"]
    search_fields = ["name", "citrusad_id"]


@admin.register(models.Product)
class ProductAdmin(ReadOnlyAdmin):
    list_display = ["gtin", "seller_id", "name", "catalog", "inventory", "price", "deletion_state"]
    list_filter = ["catalog", "deletion_state"]
    search_fields = ["=gtin", "name"]
    list_select_related = ["catalog"]
    show_full_result_count = False


@admin.register(models.Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["external_id", "email", "phone_number", "first_name", "last_name", "is_deleted"]
    search_fields = ["=external_id", "=email", "=phone_number"]
    show_full_result_count = False


class OrderItemInline(admin.TabularInline):
    model = models.OrderItem
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(models.Order)
class OrderAdmin(ReadOnlyAdmin):
    list_display = ["order_id", "customer_id", "order_date"]
    search_fields = ["=order_id", "=customer_id"]
    inlines = [OrderItemInline]
    show_full_result_count = False


@admin.register(models.SyncState)
class SyncStateAdmin(ReadOnlyAdmin):
    list_display = [
        "kind",
        "object_id",
        "destination",
        "status",
        "wanted_version",
        "confirmed_version",
    ]
    list_filter = ["destination", "kind", "status"]
    show_full_result_count = False


@admin.register(models.SyncBatch)
class SyncBatchAdmin(ReadOnlyAdmin):
    list_display = [
        "created_at",
        "destination",
        "kind",
        "endpoint",
        "item_count",
        "outcome",
        "status_code",
    ]
    list_filter = ["destination", "kind", "outcome"]
    show_full_result_count = False


@admin.register(models.Destination)
class DestinationAdmin(ReadOnlyAdmin):
    list_display = ["name", "paused", "paused_at"]


@admin.register(models.AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "actor_name", "action", "object_kind", "object_id"]
    list_filter = ["action", "object_kind"]
    search_fields = ["=object_id", "actor_name"]
    show_full_result_count = False
