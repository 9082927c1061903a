from django.urls import path, register_converter

from syncs.views import (
    alerts,
    audit,
    catalogs,
    customers,
    dashboard,
    feeds,
    history,
    imports,
    operators,
    orders,
    products,
    users,
    webhooks,
)


class RowIdConverter:
    """A database id: at most 18 digits, so a huge number is a 404, never a database error."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(RowIdConverter, "id")

urlpatterns = [
    path("", dashboard.dashboard, name="home"),
    path(
        "destinations/<str:name>/resume/", dashboard.destination_resume, name="destination_resume"
    ),
    path("stockouts/check/", dashboard.stockout_check_now, name="stockout_check_now"),
    path("history/", history.batch_list, name="batch_list"),
    path("history/<id:pk>/", history.batch_detail, name="batch_detail"),
    path("history/<id:pk>/retry/", history.batch_retry, name="batch_retry"),
    path("sync/retry/", history.row_retry_view, name="row_retry"),
    path("sync/retry-failed/", history.retry_all_failed, name="retry_all_failed"),
    path("products/", products.product_search, name="product_search"),
    path("products/count/", products.product_search_count_view, name="product_search_count"),
    path("products/bulk-stock/", products.product_bulk_stock, name="product_bulk_stock"),
    path("products/export.csv", products.product_export, name="product_export"),
    path("products/bulk/<id:pk>/", products.product_bulk_detail, name="product_bulk_detail"),
    path("products/<id:pk>/", products.product_detail, name="product_detail"),
    path("products/<id:pk>/chip/", products.product_chip, name="product_chip"),
    path("products/<id:pk>/stock/", products.product_stock, name="product_stock"),
    path("products/<id:pk>/live/", products.product_live, name="product_live"),
    path("products/<id:pk>/delete/", products.product_delete_view, name="product_delete"),
    path("customers/", customers.customer_search, name="customer_search"),
    path("customers/export.csv", customers.customer_export, name="customer_export"),
    path("customers/<id:pk>/", customers.customer_detail, name="customer_detail"),
    path(
        "customers/<id:pk>/forget/",
        customers.customer_flag,
        {"action": "forget"},
        name="customer_forget",
    ),
    path(
        "customers/<id:pk>/delete/",
        customers.customer_flag,
        {"action": "delete"},
        name="customer_delete",
    ),
    path("orders/", orders.order_search, name="order_search"),
    path("orders/<id:pk>/", orders.order_detail, name="order_detail"),
    path("webhooks/", webhooks.webhook_list, name="webhook_list"),
    path("webhooks/add/", webhooks.webhook_create, name="webhook_create"),
    path("webhooks/<id:pk>/", webhooks.webhook_update, name="webhook_update"),
    path("webhooks/<id:pk>/rotate/", webhooks.webhook_rotate, name="webhook_rotate"),
    path("webhooks/<id:pk>/delete/", webhooks.webhook_delete, name="webhook_delete"),
    path("catalogs/", catalogs.catalog_list, name="catalog_list"),
    path("catalogs/register/", catalogs.catalog_register_view, name="catalog_register"),
    path("catalogs/create/", catalogs.catalog_create_view, name="catalog_create"),
    path("catalogs/<id:pk>/resolve/", catalogs.catalog_resolve, name="catalog_resolve"),
    path("imports/", imports.import_list, name="import_list"),
    path("imports/<id:pk>/", imports.import_detail, name="import_detail"),
    path("imports/<id:pk>/run/", imports.import_run, name="import_run"),
    path("imports/<id:pk>/cancel/", imports.import_cancel, name="import_cancel"),
    path("imports/<id:pk>/revert/", imports.import_revert, name="import_revert"),
    path("imports/<id:pk>/errors.csv", imports.import_errors_csv, name="import_errors_csv"),
    path("alerts/", alerts.alert_list, name="alert_list"),
    path("alerts/<id:pk>/acknowledge/", alerts.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/test/", alerts.alert_channels_test, name="alert_channels_test"),
    path("feeds/", feeds.feed_list_view, name="feed_list"),
    path("feeds/<id:pk>/", feeds.feed_detail, name="feed_detail"),
    path("feeds/<id:pk>/edit/", feeds.feed_edit, name="feed_edit"),
    path("feeds/<id:pk>/run/", feeds.feed_run_view, name="feed_run"),
    path("feeds/<id:pk>/schedule/", feeds.feed_schedule, name="feed_schedule"),
    path("feeds/<id:pk>/delete/", feeds.feed_delete_view, name="feed_delete"),
    path("audit/", audit.audit_list, name="audit_list"),
    path("audit/<id:pk>/", audit.audit_detail, name="audit_detail"),
    path("activity/", audit.my_activity, name="my_activity"),
    path("users/", users.user_list, name="user_list"),
    path("users/<id:pk>/", users.user_detail, name="user_detail"),
    path("users/<id:pk>/role/", users.user_role, name="user_role"),
    path("users/<id:pk>/active/", users.user_active, name="user_active"),
    path("users/<id:pk>/password/", users.user_password, name="user_password"),
    path("users/<id:pk>/password-link/", users.user_password_link, name="user_password_link"),
    path("users/<id:pk>/unlock/", users.user_unlock_view, name="user_unlock"),
    path(
        "users/<id:pk>/second-factor/reset/",
        users.user_second_factor_reset_view,
        name="user_second_factor_reset",
    ),
    path("users/unlock-address/", users.address_unlock_view, name="address_unlock"),
    path("users/second-factor/", users.second_factor_policy, name="second_factor_policy"),
    path("healthz", operators.healthz, name="healthz"),
    path("metrics", operators.metrics, name="metrics"),
]
