"""Access checks, one helper per object, and the render helper every view shares."""

from collections.abc import Iterator

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails

from syncs.models import Customer, Order, Product, SyncBatch
from syncs.roles import ROLE_PERMISSIONS, ROLES
from syncs.selectors.customers import customer_get
from syncs.selectors.orders import order_get
from syncs.selectors.products import product_get
from syncs.selectors.sync_batches import sync_batch_get


class HtmxHttpRequest(HttpRequest):
    """A request as HtmxMiddleware leaves it (django-htmx's documented typing pattern)."""

    htmx: HtmxDetails


def role_for(permission: str) -> str:
    """The least role that holds a permission, for the 403 page to name."""
    for role in ROLES:
        if permission in ROLE_PERMISSIONS[role]:
            return role
    return "admin"


def require_permission(user: AbstractBaseUser, permission: str) -> None:
    if not user.has_perm(permission):
        role = role_for(permission)
        raise PermissionDenied(f"This needs the {role} role. Ask an admin if you need it.")


def get_product_for(
    user: AbstractBaseUser, pk: int, permission: str = "syncs.view_product"
) -> Product:
    require_permission(user, permission)
    product = product_get(product_id=pk)
    if product is None:
        raise Http404("No such product.")
    return product


def render_page(
    request: HtmxHttpRequest, template: str, context: dict, *, partial: str = "", status: int = 200
) -> HttpResponse:
    """The whole page, or only its named partial when htmx asks for a fragment."""
    name = f"{template}#{partial}" if partial and request.htmx else template
    return render(request, name, context, status=status)


def get_customer_for(
    user: AbstractBaseUser, pk: int, permission: str = "syncs.view_customer"
) -> Customer:
    require_permission(user, permission)
    customer = customer_get(customer_id=pk)
    if customer is None:
        raise Http404("No such customer.")
    return customer


def get_order_for(user: AbstractBaseUser, pk: int) -> Order:
    require_permission(user, "syncs.view_order")
    order = order_get(order_id=pk)
    if order is None:
        raise Http404("No such order.")
    return order


def get_batch_for(user: AbstractBaseUser, pk: int) -> SyncBatch:
    require_permission(user, "syncs.view_syncbatch")
    batch = sync_batch_get(batch_id=pk)
    if batch is None:
        raise Http404("No such batch.")
    return batch


def safe_next(request: HttpRequest, default: str) -> str:
    """Where to go back to after a POST: only a path on this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def csv_download(lines: Iterator[str], filename: str) -> StreamingHttpResponse:
    """A CSV streamed as it is written, saved under `filename` (like every signed-in page it is
    sent no-store, by the middleware)."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
