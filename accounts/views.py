"""HTML views for accounts: sign-in, home per role, API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts import selectors, services
from accounts.forms import ThrottledAuthenticationForm, TokenCreateForm
from accounts.models import Organization
from accounts.navigation import home_panels
from accounts.roles import Role, role_of, signed_in_user
from trust_portal.errors import DomainError
from trust_portal.web import paginate


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
    return {"tokens": selectors.api_token_list(user=signed_in_user(request)), **extra}


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
    try:
        user = signed_in_user(request)
        token = services.api_token_revoke(token=selectors.api_token_get(user=user, token_id=token_id), user=user)
    except DomainError:
        messages.error(request, "That token does not exist.")
        return redirect("accounts:tokens")
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
