"""Forms for sign-in and tokens. They parse input; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from accounts import services
from trust_portal.clients import UNKNOWN, client_address
from trust_portal.errors import DomainError


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, with failures counted and one message whether or not the user exists."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": "The username or password is not correct.",
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = services.user_authenticate(
                    request=self.request,
                    username=username,
                    password=password,
                    address=client_address(self.request) if self.request else UNKNOWN,
                )
            except services.InvalidCredentials:
                raise ValidationError(self.error_messages["invalid_login"], code="invalid_login") from None
            except DomainError as error:
                raise ValidationError(error.detail, code=error.code) from None
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data


class TokenCreateForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses this token, e.g. “CI pipeline”.")
    read_only = forms.BooleanField(required=False, help_text="The token may only read, never change anything.")
    expires_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Optional. After this moment the token stops working.",
    )


class InvitationForm(forms.Form):
    role = forms.ChoiceField(
        choices=[
            ("member", "Member — authors drafts, submits evidence"),
            ("owner", "Owner — also manages the organization"),
        ],
        initial="member",
    )
    note = forms.CharField(max_length=200, required=False, help_text="Optional: who it is for, e.g. “Dana, QA”.")


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=[("member", "Member"), ("owner", "Owner")])


class InvitationAcceptForm(forms.Form):
    username = forms.CharField(max_length=150, help_text="Letters, digits and @/./+/-/_ only.")
    email = forms.EmailField(required=False)
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False)
    password_again = forms.CharField(
        label="Password (again)", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}), strip=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data
