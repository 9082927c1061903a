from syncs.models.audit import AuditEvent
from syncs.models.bulk import BulkOutcome, BulkStatus, BulkStockAction, BulkStockItem
from syncs.models.catalog import Catalog
from syncs.models.customer import Customer
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
    "ImportChange",
    "ImportEncoding",
    "ImportJob",
    "ImportKind",
    "ImportStatus",
    "Order",
    "OrderItem",
    "Priority",
    "Product",
    "SyncBatch",
    "SyncLease",
    "SyncKind",
    "SyncState",
    "SyncStatus",
    "WEBHOOK_KINDS",
    "WebhookEndpoint",
]
