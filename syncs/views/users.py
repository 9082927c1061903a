"""The Users page: admins add users with a role, change roles, deactivate, reset passwords,
unlock locked-out users and require a second factor for admins."""

import smtplib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syncs.forms import (
    AddressForm,
    SwitchForm,
    UserCreateForm,
    UserPasswordForm,
    UserRoleForm,
)
from syncs.selectors.users import UserRow, locked_addresses, user_row, user_rows
from syncs.services.second_factor import access_policy_get, access_policy_set
from syncs.services.users import (
    address_unlock,
    roles_grantable_by,
    user_create,
    user_second_factor_reset,
    user_send_password_link,
    user_set_active,
    user_set_password,
    user_set_role,
    user_unlock,
)
from syncs.views.access import HtmxHttpRequest, render_page, require_permission


def _get_user_row_for(actor, pk: int) -> UserRow:
    require_permission(actor, "auth.view_user")
    row = user_row(user_id=pk)
    if row is None:
        raise Http404("No such user.")
    return row


def _may_change(actor, person) -> bool:
    return actor.has_perm("auth.change_user") and (actor.is_superuser or not person.is_superuser)


def _send_link(request: HtmxHttpRequest, person) -> None:
    try:
        user_send_password_link(
            user=person,
            actor=request.user,
            domain=request.get_host(),
            use_https=request.is_secure(),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except (smtplib.SMTPException, OSError) as exc:
        messages.error(request, f"The email could not be sent ({exc.__class__.__name__}).")
    else:
        messages.success(request, f"A password link is on its way to {person.email}.")


@require_http_methods(["GET", "POST"])
def user_list(request: HtmxHttpRequest) -> HttpResponse:
    require_permission(request.user, "auth.view_user")
    roles = roles_grantable_by(request.user)
    form = UserCreateForm(request.POST or None, roles=roles)
    if request.method == "POST":
        require_permission(request.user, "auth.add_user")
        if form.is_valid():
            data = form.cleaned_data
            try:
                person = user_create(actor=request.user, **data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, f"{person.username} can now log in as {data['role']}.")
                if not data["password"]:
                    _send_link(request, person)
                return redirect("user_detail", pk=person.pk)
    context = {
        "users": user_rows(),
        "form": form,
        "locked_addresses": locked_addresses(),
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "cooloff_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "admins_need_second_factor": access_policy_get().admins_need_second_factor,
    }
    return render_page(request, "users/list.html", context, status=400 if form.errors else 200)


@require_GET
def user_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    row = _get_user_row_for(request.user, pk)
    return _detail(request, row)


def _detail(request, row: UserRow, *, role_form=None, password_form=None, status=200):
    context = {
        "person": row.user,
        "role": row.role,
        "locked": row.locked,
        "second_factor": row.second_factor,
        "second_factor_required": access_policy_get().admins_need_second_factor,
        "may_change": _may_change(request.user, row.user),
        "is_self": row.user.pk == request.user.pk,
        "role_form": role_form
        or UserRoleForm(initial={"role": row.role}, roles=roles_grantable_by(request.user)),
        "password_form": password_form or UserPasswordForm(),
        "reset_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    return render_page(request, "users/detail.html", context, status=status)


@require_POST
def user_role(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    row = _get_user_row_for(request.user, pk)
    form = UserRoleForm(request.POST, roles=roles_grantable_by(request.user))
    if not form.is_valid():
        return _detail(request, row, role_form=form, status=400)
    if user_set_role(user=row.user, role=form.cleaned_data["role"], actor=request.user):
        messages.success(request, f"{row.user.username} is now {form.cleaned_data['role']}.")
    return redirect("user_detail", pk=pk)


@require_POST
def user_active(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    row = _get_user_row_for(request.user, pk)
    form = SwitchForm(request.POST)
    form.is_valid()  # a BooleanField that is not required is always valid
    active = form.cleaned_data["value"]
    if user_set_active(user=row.user, active=active, actor=request.user):
        verb = "reactivated" if active else "deactivated: they are logged out"
        messages.success(request, f"{row.user.username} {verb}.")
    return redirect("user_detail", pk=pk)


@require_POST
def user_password(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    row = _get_user_row_for(request.user, pk)
    form = UserPasswordForm(request.POST)
    if form.is_valid():
        try:
            user_set_password(
                user=row.user, password=form.cleaned_data["password1"], actor=request.user
            )
        except ValidationError as exc:
            form.add_error("password1", exc)
    if form.errors:
        return _detail(request, row, password_form=form, status=400)
    if row.user.pk == request.user.pk:
        update_session_auth_hash(request, row.user)  # keep this session, end the others
    messages.success(request, f"New password set for {row.user.username}.")
    return redirect("user_detail", pk=pk)


@require_POST
def user_password_link(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    row = _get_user_row_for(request.user, pk)
    _send_link(request, row.user)
    return redirect("user_detail", pk=pk)


@require_POST
def user_unlock_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    row = _get_user_row_for(request.user, pk)
    user_unlock(user=row.user, actor=request.user)
    messages.success(request, f"{row.user.username} can log in again.")
    return redirect("user_detail", pk=pk)


@require_POST
def user_second_factor_reset_view(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    row = _get_user_row_for(request.user, pk)
    if user_second_factor_reset(user=row.user, actor=request.user):
        messages.success(request, f"{row.user.username}'s authenticator is removed.")
    return redirect("user_detail", pk=pk)


@require_POST
def address_unlock_view(request: HtmxHttpRequest) -> HttpResponse:
    require_permission(request.user, "auth.change_user")
    form = AddressForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That is not an address.")
    else:
        address_unlock(address=form.cleaned_data["address"], actor=request.user)
        messages.success(request, f"Logins from {form.cleaned_data['address']} are allowed again.")
    return redirect("user_list")


@require_POST
def second_factor_policy(request: HtmxHttpRequest) -> HttpResponse:
    require_permission(request.user, "auth.change_user")
    form = SwitchForm(request.POST)
    form.is_valid()
    required = form.cleaned_data["value"]
    if access_policy_set(admins_need_second_factor=required, actor=request.user):
        if required:
            messages.success(
                request,
                "Admins now need an authenticator app: each sets one up at their next login.",
            )
        else:
            messages.success(request, "Admins no longer need a second factor.")
    return redirect("user_list")
