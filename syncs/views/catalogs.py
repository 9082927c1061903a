import datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from syncs import selectors
from syncs.forms import CatalogCreateForm, CatalogRegisterForm, CatalogResolveForm
from syncs.models import AuditEvent, Catalog
from syncs.services.catalogs import catalog_create, catalog_register, catalog_resolve_unknown
from syncs.views.access import render_page, require_permission

# CitrusAd creates a catalog per POST, so a double submit must not reach the service twice.
DOUBLE_SUBMIT_WINDOW = datetime.timedelta(minutes=2)


def _page(request, *, register_form=None, create_form=None, status=200):
    context = {
        "catalogs": selectors.catalog_list(),
        "register_form": register_form or CatalogRegisterForm(),
        "create_form": create_form or CatalogCreateForm(),
    }
    return render_page(request, "catalogs/list.html", context, status=status)


@require_GET
def catalog_list(request):
    require_permission(request.user, "syncs.manage_catalogs")
    return _page(request)


@require_POST
def catalog_register_view(request):
    """Register a catalog that already exists in CitrusAd."""
    require_permission(request.user, "syncs.manage_catalogs")
    form = CatalogRegisterForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        if Catalog.objects.filter(citrusad_id=data["citrusad_id"], name=data["name"]).exists():
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
def catalog_create_view(request):
    """Create a catalog in CitrusAd, once per submit even when the button is clicked twice."""
    require_permission(request.user, "syncs.manage_catalogs")
    form = CatalogCreateForm(request.POST)
    if form.is_valid():
        name = form.cleaned_data["name"].strip()
        with transaction.atomic():
            # Lock the user's row: a second submit waits here, then sees the first's audit
            # event (committed in this same transaction) and creates nothing.
            get_user_model().objects.select_for_update().get(pk=request.user.pk)
            duplicate = AuditEvent.objects.filter(
                actor=request.user,
                action="catalog.create",
                object_repr=name,
                created_at__gte=timezone.now() - DOUBLE_SUBMIT_WINDOW,
            ).exists()
            if not duplicate:
                try:
                    catalog_create(
                        name=name, team_id=form.cleaned_data["team_id"], actor=request.user
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)
        if not form.errors:
            if duplicate:
                messages.info(request, f"Catalog {name} was just created; not sent twice.")
            else:
                messages.success(request, f"Catalog {name} is being created in CitrusAd.")
            return redirect("catalog_list")
    return _page(request, create_form=form, status=400)


@require_POST
def catalog_resolve(request, pk: int):
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
