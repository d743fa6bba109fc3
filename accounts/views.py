"""HTML views for accounts: sign-in, home per role, API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts import selectors, services
from accounts.errors import LastOwner
from accounts.forms import InvitationAcceptForm, InvitationForm, RoleForm, ThrottledAuthenticationForm, TokenCreateForm
from accounts.models import Organization
from accounts.navigation import home_panels
from accounts.permissions import may, require
from accounts.roles import Role, role_of, signed_in_user
from trust_portal.errors import DomainError
from trust_portal.web import add_errors_to_form, paginate


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):  # type: ignore[no-untyped-def]
        messages.success(self.request, "Your password was changed.")
        return super().form_valid(form)


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """One home page per role; each later app adds its panels."""
    role = role_of(request.user)
    context: dict[str, object] = {"role": role.value}
    if role is not Role.ANONYMOUS:
        user = signed_in_user(request)
        context["active_token_count"] = selectors.api_token_list(user=user).filter(revoked_at__isnull=True).count()
    if role in (Role.VENDOR, Role.BUYER):
        context["organization"] = user.organization
        context["members"] = selectors.organization_member_list(user=user)
    if role is Role.STAFF:
        context["organization_counts"] = {
            kind.label: Organization.objects.filter(kind=kind).count() for kind in Organization.Kind
        }
    context["panels"] = home_panels(role, request)
    return render(request, f"accounts/home_{role.value}.html", context)


def _tokens_context(request: HttpRequest, **extra: object) -> dict[str, object]:
    tokens = selectors.api_token_list(user=signed_in_user(request)).prefetch_related("agent_scopes__agent")
    return {"tokens": tokens, **extra}


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """List the user's tokens and create one; the new token is shown once."""
    form = TokenCreateForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.api_token_create(user=signed_in_user(request), **form.cleaned_data)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            form = TokenCreateForm()
    context = _tokens_context(request, form=form, issued=issued)
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "accounts/tokens.html#token-panel", context)
    return render(request, "accounts/tokens.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    user = signed_in_user(request)
    token = services.api_token_revoke(token=selectors.api_token_get(user=user, token_id=token_id), user=user)
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "accounts/tokens.html#token-row", {"token": token})
    messages.success(request, f"Token “{token.name}” revoked.")
    return redirect("accounts:tokens")


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first; POST marks them all read."""
    user = signed_in_user(request)
    if request.method == "POST":
        count = services.notifications_mark_read(user=user)
        messages.success(request, f"Marked {count} notification{'s' if count != 1 else ''} read.")
        return redirect("accounts:notifications")
    page = paginate(request, selectors.notification_list(user=user))
    return render(request, "accounts/notifications.html", {"page": page})


# --- the organization: members, roles, invitations -----------------------------------------------------------


def _organization_context(request: HttpRequest, **extra: object) -> dict[str, object]:
    user = signed_in_user(request)
    organization = user.organization
    return {
        "organization": organization,
        "members": selectors.organization_member_list(user=user),
        "invitations": selectors.invitation_list(user=user)[:50],
        "can_manage": may(user, "accounts.manage_members", organization),
        "invite_form": InvitationForm(),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def organization(request: HttpRequest) -> HttpResponse:
    """Members and their roles; owners invite (a link shown once), change roles and remove members.

    A new invitation's link is handed from the POST to the next GET through the session and shown there once
    (post/redirect/get: reloading the page never makes a second invitation).
    """
    user = signed_in_user(request)
    require(user, "accounts.view_members", user.organization)
    if request.method == "POST":
        require(user, "accounts.manage_members", user.organization)
        form = InvitationForm(request.POST)
        if form.is_valid():
            try:
                issued = services.invitation_create(user=user, organization=user.organization, **form.cleaned_data)
            except (DomainError, ValidationError) as error:
                add_errors_to_form(form, error)
            else:
                request.session[NEW_INVITATION] = [issued.invitation.pk, issued.secret]
                return redirect("accounts:organization")
        context = _organization_context(request, invite_form=form)
        return render(request, "accounts/organization.html", context, status=400)
    context = _organization_context(request)
    shown = request.session.pop(NEW_INVITATION, None)
    if shown:
        invitation_id, secret = shown
        context["issued"] = next((i for i in context["invitations"] if i.pk == invitation_id), None)  # type: ignore[attr-defined]
        context["invite_link"] = request.build_absolute_uri(reverse("accounts:invitation", args=[secret]))
    return render(request, "accounts/organization.html", context)


NEW_INVITATION = "accounts:new-invitation"


@login_required
@require_POST
def member_role(request: HttpRequest, membership_id: int) -> HttpResponse:
    user = signed_in_user(request)
    membership = selectors.membership_get(user=user, membership_id=membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose owner or member.")
        return redirect("accounts:organization")
    try:
        updated = services.membership_set_role(user=user, membership=membership, role=form.cleaned_data["role"])
    except LastOwner as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, f"{updated.user.username} is now {updated.get_role_display().lower()}.")
    return redirect("accounts:organization")


@login_required
@require_POST
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    user = signed_in_user(request)
    membership = selectors.membership_get(user=user, membership_id=membership_id)
    leaving = membership.user_id == user.pk
    try:
        services.membership_remove(user=user, membership=membership)
    except LastOwner as error:
        messages.error(request, error.detail)
        return redirect("accounts:organization")
    if leaving:
        messages.success(request, f"You left {membership.organization.name}.")
        return redirect("home")
    messages.success(request, f"{membership.user.username} was removed; their API tokens are revoked.")
    return redirect("accounts:organization")


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, invitation_id: int) -> HttpResponse:
    user = signed_in_user(request)
    services.invitation_revoke(user=user, invitation=selectors.invitation_get(user=user, invitation_id=invitation_id))
    messages.success(request, "Invitation revoked: its link no longer works.")
    return redirect("accounts:organization")


@require_http_methods(["GET", "POST"])
def invitation(request: HttpRequest, secret: str) -> HttpResponse:
    """The invitation link: create an account in the organization, or join it if signed in without one."""
    found = services.invitation_for_secret(secret)
    user = request.user if request.user.is_authenticated else None
    form = InvitationAcceptForm(request.POST or None) if user is None else None
    error = None
    if request.method == "POST" and (form is None or form.is_valid()):
        fields = form.cleaned_data if form is not None else {}
        try:
            member = services.invitation_accept(
                secret=secret,
                user=user,  # type: ignore[arg-type]
                username=fields.get("username", ""),
                password=fields.get("password", ""),
                email=fields.get("email", ""),
            )
        except ValidationError as problem:
            if form is not None:
                add_errors_to_form(form, problem)
        except DomainError as problem:
            error = problem.detail
        else:
            if user is None:
                login(request, member, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to {found.organization.name}.")
            return redirect("home")
    context = {"invitation": found, "form": form, "error": error}
    bad = error is not None or (form is not None and form.errors)
    return render(request, "accounts/invitation.html", context, status=400 if bad else 200)
