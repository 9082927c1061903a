"""CitrusAd's catalog, catalog-product, customer and order endpoints, as documented."""

from urllib.parse import quote

from syncs.remotes.errors import ResponseMismatchError
from syncs.remotes.http import RemoteHTTP, check_item_count, is_json
from syncs.remotes.result import RemoteResult


class CitrusAdClient:
    """One team's CitrusAd API over a pooled session. Never retries: the engine decides."""

    label = "CitrusAd"

    def __init__(
        self,
        *,
        base_url: str,
        api_key: str,
        team_id: str,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
    ):
        self.team_id = team_id
        self.http = RemoteHTTP(
            label=self.label,
            base_url=base_url,
            # CitrusAd's documented scheme: the key itself after "Basic", not base64(user:pass).
            headers={"Authorization": f"Basic {api_key}"},
            secrets=[api_key],
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )

    def close(self) -> None:
        self.http.close()

    def create_catalogs(self, *, names: list[str]) -> RemoteResult:
        """POST /v1/catalogs. Not idempotent: a retry after a timeout may make a second catalog."""
        check_item_count(names)
        requested = [{"name": name} for name in names]
        return self._post_batch(
            "/v1/catalogs", "catalogs", requested, match=lambda sent, got: _same(sent, got, "name")
        )

    def upsert_catalog_products(self, *, items: list[dict]) -> RemoteResult:
        """POST /v1/catalog-products?teamId=…: create or replace up to 100 products."""
        check_item_count(items)
        return self._post_batch(
            "/v1/catalog-products",
            "catalogProducts",
            items,
            params={"teamId": self.team_id},
            match=_same_product,
        )

    def get_catalog_product(
        self, *, catalog_id: str, gtin: str, seller_id: str = ""
    ) -> RemoteResult:
        """GET what CitrusAd holds for one product (404 while it is not ingested yet)."""
        path = _product_path(catalog_id, gtin)
        params = {"sellerId": seller_id} if seller_id else None
        response, body, duration = self.http.request("GET", path, params=params)
        product = body
        if isinstance(body, dict) and isinstance(body.get("catalogProducts"), list):
            product = body["catalogProducts"][0] if len(body["catalogProducts"]) == 1 else None
        if not isinstance(product, dict) or str(product.get("gtin", gtin)) != gtin:
            raise self._mismatch(
                "GET", path, "did not return the product asked for", response, duration
            )
        return RemoteResult(status_code=response.status_code, items=[product], duration_ms=duration)

    def delete_catalog_product(
        self, *, catalog_id: str, gtin: str, seller_id: str = ""
    ) -> RemoteResult:
        """DELETE one product; CitrusAd processes it asynchronously (30–60 minutes)."""
        path = _product_path(catalog_id, gtin)
        params = {"sellerId": seller_id} if seller_id else None
        response, _body, duration = self.http.request("DELETE", path, params=params)
        return RemoteResult(status_code=response.status_code, items=[], duration_ms=duration)

    def upsert_customers(self, *, items: list[dict]) -> RemoteResult:
        """POST /v1/customers: up to 100 `{id, targetingData}` objects."""
        check_item_count(items)
        return self._post_batch(
            "/v1/customers", "customers", items, match=lambda sent, got: _same(sent, got, "id")
        )

    def upsert_orders(self, *, items: list[dict]) -> RemoteResult:
        """POST /v1/orders: up to 100 orders in the detailed context."""
        check_item_count(items)
        return self._post_batch(
            "/v1/orders", "orders", items, match=lambda sent, got: _same(sent, got, "id")
        )

    def _post_batch(self, path, wrapper, items, *, match, params=None) -> RemoteResult:
        response, body, duration = self.http.request(
            "POST", path, params=params, payload={wrapper: items}
        )
        if not is_json(body) or not isinstance(body, dict):
            raise self._mismatch("POST", path, "answered without a JSON object", response, duration)
        returned = body.get(wrapper)
        if not isinstance(returned, list) or len(returned) != len(items):
            count = len(returned) if isinstance(returned, list) else "no"
            raise self._mismatch(
                "POST",
                path,
                f"returned {count} {wrapper} for {len(items)} sent",
                response,
                duration,
            )
        # The docs guarantee the response lists items in request order; check it, item by item.
        for position, (sent, got) in enumerate(zip(items, returned, strict=True)):
            if not isinstance(got, dict) or not match(sent, got):
                raise self._mismatch(
                    "POST",
                    path,
                    f"returned a different item at position {position}",
                    response,
                    duration,
                )
        return RemoteResult(status_code=response.status_code, items=returned, duration_ms=duration)

    def _mismatch(self, method, path, what, response, duration) -> ResponseMismatchError:
        return ResponseMismatchError(
            f"{self.label} {method} {path} {what}; treating it as not delivered.",
            status_code=response.status_code,
            body=self.http.body_text(response),
            duration_ms=duration,
            request_sent=True,
        )


def _product_path(catalog_id: str, gtin: str) -> str:
    return f"/v1/catalog-products/{_segment(catalog_id)}/{_segment(gtin)}"


def _segment(value: str) -> str:
    """One path segment, fully escaped; "." and ".." too, which URL normalisation would drop."""
    escaped = quote(value, safe="")
    return escaped.replace(".", "%2E") if escaped in (".", "..") else escaped


def _same(sent: dict, got: dict, key: str) -> bool:
    """Equal on `key` when the request carried it; otherwise the remote generated it."""
    if key not in sent:
        return bool(got.get(key))
    return str(got.get(key)) == str(sent[key])


def _same_product(sent: dict, got: dict) -> bool:
    return (
        str(got.get("gtin")) == str(sent.get("gtin"))
        and str(got.get("catalogId", sent.get("catalogId"))) == str(sent.get("catalogId"))
        and str(got.get("sellerId") or "") in ("", str(sent.get("sellerId") or ""))
    )
