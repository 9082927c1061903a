"""Catalogs: create one in CitrusAd (pushed once, never retried blindly), or register one.

A catalog is CitrusAd's own object (its id is CitrusAd's), so this module names CitrusAd.
"""

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from syncs.destinations.citrusad import NAME as CITRUSAD
from syncs.models import AuditEvent, Catalog, Priority, SyncKind, SyncState, SyncStatus
from syncs.services.audit import audit_event_record
from syncs.services.dispatch import drain_enqueue
from syncs.services.sync_state import sync_state_mark_changed, sync_state_resolve

NAME_MAX_LENGTH = Catalog._meta.get_field("name").max_length
ID_MAX_LENGTH = Catalog._meta.get_field("citrusad_id").max_length


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError("Give the catalog a name.")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(f"A catalog name is at most {NAME_MAX_LENGTH} characters.")
    return name


def catalog_create(*, name: str, actor: AbstractBaseUser | None, team_id: str = "") -> Catalog:
    """Register a catalog locally and queue its creation in CitrusAd (`POST /v1/catalogs`)."""
    name = _clean_name(name)
    with transaction.atomic():
        catalog = Catalog.objects.create(
            name=name, team_id=(team_id or settings.CITRUSAD_TEAM_ID).strip()
        )
        sync_state_mark_changed(
            kind=SyncKind.CATALOG, object_ids=[catalog.pk], priority=Priority.MANUAL
        )
        audit_event_record(
            actor=actor,
            action="catalog.create",
            object_kind=SyncKind.CATALOG,
            object_id=catalog.pk,
            object_repr=name,
            after={"name": name, "team_id": catalog.team_id},
        )
    return catalog


# CitrusAd creates a catalog per POST, so a double submit must not reach CitrusAd twice.
DOUBLE_SUBMIT_WINDOW = datetime.timedelta(minutes=2)


def catalog_create_once(*, name: str, actor: AbstractBaseUser, team_id: str = "") -> Catalog | None:
    """`catalog_create`, unless this user created this name within DOUBLE_SUBMIT_WINDOW (None)."""
    name = _clean_name(name)
    with transaction.atomic():
        # Lock the user's row: a second submit waits here, then sees the first's audit event
        # (committed in the same transaction as the catalog) and creates nothing.
        get_user_model().objects.select_for_update().get(pk=actor.pk)
        duplicate = AuditEvent.objects.filter(
            actor=actor,
            action="catalog.create",
            object_repr=name,
            created_at__gte=timezone.now() - DOUBLE_SUBMIT_WINDOW,
        ).exists()
        if duplicate:
            return None
        return catalog_create(name=name, team_id=team_id, actor=actor)


def catalog_register(
    *, name: str, citrusad_id: str, team_id: str, actor: AbstractBaseUser | None
) -> Catalog:
    """Record a catalog that already exists in CitrusAd: nothing is pushed for it."""
    name = _clean_name(name)
    citrusad_id = (citrusad_id or "").strip()
    if not citrusad_id:
        raise ValidationError("Give the catalog's CitrusAd id.")
    if len(citrusad_id) > ID_MAX_LENGTH:
        raise ValidationError(f"A CitrusAd catalog id is at most {ID_MAX_LENGTH} characters.")
    try:
        with transaction.atomic():
            catalog = Catalog.objects.create(
                name=name, citrusad_id=citrusad_id, team_id=(team_id or "").strip()
            )
            audit_event_record(
                actor=actor,
                action="catalog.register",
                object_kind=SyncKind.CATALOG,
                object_id=catalog.pk,
                object_repr=name,
                after={"name": name, "citrusad_id": citrusad_id, "team_id": catalog.team_id},
            )
    except IntegrityError:
        raise ValidationError(
            f"A catalog with CitrusAd id {citrusad_id} is already registered."
        ) from None
    return catalog


def catalog_resolve_unknown(
    *, catalog: Catalog, citrusad_id: str, actor: AbstractBaseUser | None
) -> Catalog:
    """Settle a creation whose answer was lost, after checking CitrusAd by hand.

    With the id found there, the catalog is confirmed with it; with an empty id ("it is not
    there"), the creation is queued again.
    """
    citrusad_id = (citrusad_id or "").strip()
    with transaction.atomic():
        state = (
            SyncState.objects.select_for_update()
            .filter(destination=CITRUSAD, kind=SyncKind.CATALOG, object_id=catalog.pk)
            .first()
        )
        if state is None or state.status not in (SyncStatus.UNKNOWN, SyncStatus.FAILED):
            raise ValidationError("Only a catalog whose creation failed or is unknown is resolved.")
        catalog = Catalog.objects.select_for_update().get(pk=catalog.pk)
        if citrusad_id:
            if Catalog.objects.filter(citrusad_id=citrusad_id).exclude(pk=catalog.pk).exists():
                raise ValidationError(f"CitrusAd id {citrusad_id} belongs to another catalog.")
            catalog.citrusad_id = citrusad_id
            catalog.save(update_fields=["citrusad_id", "updated_at"])
            sync_state_resolve(state=state, confirmed=True)
            transaction.on_commit(
                lambda: drain_enqueue(destination=CITRUSAD, kind=SyncKind.PRODUCT)
            )
        else:
            sync_state_resolve(state=state, confirmed=False)
            transaction.on_commit(
                lambda: drain_enqueue(destination=CITRUSAD, kind=SyncKind.CATALOG, manual=True)
            )
        audit_event_record(
            actor=actor,
            action="catalog.resolve",
            object_kind=SyncKind.CATALOG,
            object_id=catalog.pk,
            object_repr=catalog.name,
            before={"status": state.status},
            after={"citrusad_id": citrusad_id} if citrusad_id else {"status": "pending"},
        )
    return catalog
