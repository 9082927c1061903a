from syncs.models.alert import (
    Incident,
    IncidentKind,
    IncidentNotification,
    IncidentStatus,
    NotificationEvent,
    NotificationStatus,
)
from syncs.models.audit import AuditEvent
from syncs.models.bulk import BulkOutcome, BulkStatus, BulkStockAction, BulkStockItem
from syncs.models.catalog import Catalog
from syncs.models.customer import Customer
from syncs.models.feed import Feed, FeedRun, FeedRunStatus, FeedRunTrigger
from syncs.models.imports import (
    ImportChange,
    ImportEncoding,
    ImportJob,
    ImportKind,
    ImportStatus,
)
from syncs.models.order import Order, OrderItem
from syncs.models.product import DeletionState, Product
from syncs.models.security import AccessPolicy
from syncs.models.stockout import (
    StockoutCheck,
    StockoutCheckItem,
    StockoutCheckStatus,
    StockoutFinding,
)
from syncs.models.sync import (
    BatchOutcome,
    BatchTrigger,
    Destination,
    Priority,
    SyncBatch,
    SyncKind,
    SyncLease,
    SyncState,
    SyncStatus,
)
from syncs.models.webhook import WEBHOOK_KINDS, WebhookEndpoint

__all__ = [
    "AccessPolicy",
    "AuditEvent",
    "BatchOutcome",
    "BatchTrigger",
    "BulkOutcome",
    "BulkStatus",
    "BulkStockAction",
    "BulkStockItem",
    "Catalog",
    "Customer",
    "DeletionState",
    "Destination",
    "Feed",
    "FeedRun",
    "FeedRunStatus",
    "FeedRunTrigger",
    "ImportChange",
    "ImportEncoding",
    "ImportJob",
    "ImportKind",
    "ImportStatus",
    "Incident",
    "IncidentKind",
    "IncidentNotification",
    "IncidentStatus",
    "NotificationEvent",
    "NotificationStatus",
    "Order",
    "OrderItem",
    "Priority",
    "Product",
    "StockoutCheck",
    "StockoutCheckItem",
    "StockoutCheckStatus",
    "StockoutFinding",
    "SyncBatch",
    "SyncLease",
    "SyncKind",
    "SyncState",
    "SyncStatus",
    "WEBHOOK_KINDS",
    "WebhookEndpoint",
]
