from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_GET, require_POST

from syncs.forms import CatalogCreateForm, CatalogRegisterForm, CatalogResolveForm
from syncs.models import Catalog
from syncs.selectors.catalogs import catalog_is_registered
from syncs.selectors.catalogs import catalog_list as catalog_list_query
from syncs.services.catalogs import (
    catalog_create_once,
    catalog_register,
    catalog_resolve_unknown,
)
from syncs.views.access import HtmxHttpRequest, render_page, require_permission


def _page(
    request: HtmxHttpRequest,
    *,
    register_form: CatalogRegisterForm | None = None,
    create_form: CatalogCreateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    context = {
        "catalogs": catalog_list_query(),
        "register_form": register_form or CatalogRegisterForm(),
        "create_form": create_form or CatalogCreateForm(),
    }
    return render_page(request, "catalogs/list.html", context, status=status)


@require_GET
def catalog_list(request: HtmxHttpRequest) -> HttpResponse:
    require_permission(request.user, "syncs.manage_catalogs")
    return _page(request)


@require_POST
def catalog_register_view(request: HtmxHttpRequest) -> HttpResponse:
    """Register a catalog that already exists in CitrusAd."""
    require_permission(request.user, "syncs.manage_catalogs")
    form = CatalogRegisterForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        if catalog_is_registered(name=data["name"], citrusad_id=data["citrusad_id"]):
            messages.info(request, f"Catalog {data['name']} is registered already.")
            return redirect("catalog_list")
        try:
            catalog = catalog_register(actor=request.user, **data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Catalog {catalog.name} registered.")
            return redirect("catalog_list")
    return _page(request, register_form=form, status=400)


@require_POST
def catalog_create_view(request: HtmxHttpRequest) -> HttpResponse:
    """Create a catalog in CitrusAd, once per submit even when the button is clicked twice."""
    require_permission(request.user, "syncs.manage_catalogs")
    form = CatalogCreateForm(request.POST)
    if form.is_valid():
        name = form.cleaned_data["name"].strip()
        try:
            catalog = catalog_create_once(
                name=name, team_id=form.cleaned_data["team_id"], actor=request.user
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if catalog is None:
                messages.info(request, f"Catalog {name} was just created; not sent twice.")
            else:
                messages.success(request, f"Catalog {name} is being created in CitrusAd.")
            return redirect("catalog_list")
    return _page(request, create_form=form, status=400)


@require_POST
def catalog_resolve(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Settle a creation whose answer was lost: the id found in CitrusAd, or empty to re-send."""
    require_permission(request.user, "syncs.manage_catalogs")
    catalog = get_object_or_404(Catalog, pk=pk)
    form = CatalogResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That catalog id is too long.")
        return redirect("catalog_list")
    try:
        catalog_resolve_unknown(
            catalog=catalog, citrusad_id=form.cleaned_data["citrusad_id"], actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Catalog {catalog.name} settled.")
    return redirect("catalog_list")
