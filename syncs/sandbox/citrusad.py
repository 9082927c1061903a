"""The sandbox's CitrusAd endpoints: catalogs, catalog products, customers and orders."""

import time
import uuid

from syncs.sandbox import validation as v
from syncs.sandbox.replies import Reply, citrus_error, summary


class CitrusAdEndpoints:
    """Mixed into SandboxApp: uses its lock, config, random and state."""

    def _citrus_auth(self, headers) -> tuple[str, Reply | None]:
        scheme, _, credential = (headers.get("Authorization") or "").partition(" ")
        team = self.config.api_keys.get(credential.strip()) if scheme.lower() == "basic" else None
        if team is None:
            return "", Reply(401, text="Unauthorized")
        return team, None

    def _batch(self, body, wrapper: str, check) -> tuple[list | None, Reply | None]:
        items, problems = v.batch_items(body, wrapper, self.config.max_items)
        if items is not None and not problems:
            for index, item in enumerate(items):
                check(problems, f"{wrapper}[{index}]", item)
        if problems:
            return None, citrus_error(400, summary(problems), problems[:50])
        return items, None

    def _catalogs_create(self, team: str, body) -> Reply:
        items, error = self._batch(body, "catalogs", v.check_catalog)
        if error:
            return error
        created = []
        with self.lock:
            # Not idempotent, like CitrusAd: the same name twice makes two catalogs.
            for item in items:
                catalog = {"id": str(uuid.uuid4()), "name": item["name"], "teamId": team}
                self.catalogs[catalog["id"]] = catalog
                created.append(catalog)
        return self._answer({"catalogs": created}, "catalogs")

    def _products_upsert(self, team: str, body) -> Reply:
        items, error = self._batch(body, "catalogProducts", v.check_product)
        if error:
            return error
        config = self.config
        rejected = v.Problems()
        for index, item in enumerate(items):
            where = f"catalogProducts[{index}]"
            if item["gtin"] in config.reject_gtins:
                rejected.add("PRODUCT_REJECTED", where, f"gtin {item['gtin']} was rejected")
            if config.require_known_catalogs and item["catalogId"] not in self.catalogs:
                rejected.add("CATALOG_NOT_FOUND", f"{where}.catalogId", "no such catalog")
        if rejected:
            return citrus_error(400, summary(rejected), rejected)
        answered = []
        visible_at = time.monotonic() + config.ingest_delay_ms / 1000
        with self.lock:
            for item in items:
                product = {
                    "teamId": team,
                    "catalogId": item["catalogId"],
                    "gtin": item["gtin"],
                    "inventory": item.get("inventory", 1),  # CitrusAd's default when omitted
                    "price": v.to_number(item.get("price")),
                    "tags": list(item.get("tags") or []),
                    "filters": list(item.get("filters") or []),
                    "groups": list(item.get("groups") or []),
                    "profit": v.to_number(item.get("profit")),
                }
                if item.get("sellerId"):
                    product["sellerId"] = item["sellerId"]
                key = (team, item["catalogId"], item["gtin"], item.get("sellerId") or "")
                self.products[key] = product
                self.product_visible_at[key] = visible_at
                answered.append(product)
        return self._answer({"catalogProducts": answered}, "catalogProducts")

    def _product_get(self, key: tuple) -> Reply:
        with self.lock:
            product = self.products.get(key)
            visible = product is not None and self.product_visible_at[key] <= time.monotonic()
        if not visible:
            return citrus_error(404, "product not found")
        return Reply(200, product)

    def _product_delete(self, key: tuple) -> Reply:
        with self.lock:
            product = self.products.pop(key, None)
            self.product_visible_at.pop(key, None)
        if product is None:
            return citrus_error(404, "product not found")
        return Reply(200, {})

    def _customers_upsert(self, team: str, body) -> Reply:
        items, error = self._batch(body, "customers", v.check_citrus_customer)
        if error:
            return error
        rejected = v.Problems()
        for index, item in enumerate(items):
            if item.get("id") and item["id"] in self.config.reject_customers:
                rejected.add(
                    "CUSTOMER_REJECTED", f"customers[{index}]", f"id {item['id']} was rejected"
                )
        if rejected:
            return citrus_error(400, summary(rejected), rejected)
        answered = []
        with self.lock:
            for item in items:
                customer = {
                    "targetingData": item.get("targetingData") or {},
                    "gender": item.get("gender") or "Other",
                    "teamId": team,
                    "postcode": item.get("postcode") or "",
                    "suburb": item.get("suburb") or "",
                    "id": item.get("id") or str(uuid.uuid4()),
                    "yearOfBirth": item.get("yearOfBirth") or 0,
                }
                self.customers[(team, customer["id"])] = customer
                answered.append(customer)
        return self._answer({"customers": answered}, "customers")

    def _orders_upsert(self, team: str, body) -> Reply:
        items, error = self._batch(body, "orders", v.check_order)
        if error:
            return error
        rejected = v.Problems()
        for index, item in enumerate(items):
            for order_item in item["orderItems"]:
                if order_item["gtin"] in self.config.reject_gtins:
                    rejected.add(
                        "ORDER_REJECTED",
                        f"orders[{index}]",
                        f"gtin {order_item['gtin']} was rejected",
                    )
        if rejected:
            return citrus_error(400, summary(rejected), rejected)
        answered = []
        with self.lock:
            for item in items:
                order = {
                    "adIds": item.get("adIds"),
                    "teamId": item.get("teamId") or team,
                    "customerId": item.get("customerId") or "",
                    "sessionId": item.get("sessionId"),
                    "id": item.get("id") or str(uuid.uuid4()),
                    "orderItems": [_order_item(order_item) for order_item in item["orderItems"]],
                    "orderDate": item["orderDate"],
                }
                self.orders[(team, order["id"])] = order
                answered.append(order)
        return self._answer({"orders": answered}, "orders")

    def _answer(self, body: dict, wrapper: str) -> Reply:
        """A 200, unless a `mismatch_next` fault garbles it the way `mismatch_mode` says."""
        with self.lock:
            if not self._take("mismatch_next"):
                return Reply(200, body)
            mode = self.config.mismatch_mode
        if mode == "garble":
            return Reply(200, text="OK")
        if mode == "reverse":
            return Reply(200, {wrapper: body[wrapper][::-1]})
        return Reply(200, {wrapper: body[wrapper][:-1]})


def _order_item(item: dict) -> dict:
    return {
        "regularUnitPrice": v.to_number(item["regularUnitPrice"]),
        "citrusDiscountAmount": v.to_number(item.get("citrusDiscountAmount")),
        "gtin": item["gtin"],
        "adId": item.get("adId"),
        "quantity": item["quantity"],
        "substitutedFor": item.get("substitutedFor"),
        "totalOrderItemPriceAfterDiscounts": v.to_number(item["totalOrderItemPriceAfterDiscounts"]),
    }
