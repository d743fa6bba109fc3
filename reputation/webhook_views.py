"""Webhook pages (buyers): endpoints with their secret shown once, rotation, enable/disable/delete, and each
endpoint's delivery log with resend (htmx swaps the delivery's row; plain forms work too)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.permissions import may, require
from accounts.roles import signed_in_user
from reputation import webhooks
from reputation.events import EVENT_TYPES
from reputation.models import WebhookEndpoint
from trust_portal.web import add_errors_to_form

EVENT_HELP = {
    "tier.changed": "an agent's tier goes up or down",
    "verdict.breached": "a clause of an agent is found breached",
    "pact.published": "a new pact version of an agent is published",
    "ledger.entry_created": "a service credit is recorded for you",
    "ledger.entry_updated": "a service credit changes state (owed, paid, waived, cancelled)",
    "dispute.filed": "a dispute your organization is party to is filed",
    "dispute.updated": "a dispute you are party to moves (a response, a question, an appeal, a settlement…)",
    "dispute.ruled": "an arbiter rules on a dispute you are party to",
    "clause.warning": "a rate clause burns its error budget fast enough that a breach is coming (early warning)",
}


class WebhookForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://hooks.example.com/trust-portal"}),
        help_text="https:// on a public address; we sign every message (Standard Webhooks).",
    )
    events = forms.MultipleChoiceField(
        choices=[(name, f"{name} — {EVENT_HELP[name]}") for name in EVENT_TYPES],
        widget=forms.CheckboxSelectMultiple,
        initial=["tier.changed", "verdict.breached"],
    )
    description = forms.CharField(max_length=200, required=False, help_text="Optional: what receives these.")


def _list_context(request: HttpRequest, **extra: Any) -> dict[str, Any]:
    user = signed_in_user(request)
    endpoints = list(webhooks.webhook_endpoint_list(user=user))
    return {
        "endpoints": endpoints,
        "can_manage": may(user, "reputation.manage_webhooks", user.organization),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request: HttpRequest) -> HttpResponse:
    """The organization's endpoints; owners register one here and see its secret once."""
    user = signed_in_user(request)
    form = WebhookForm(request.POST or None)
    issued = None
    if request.method == "POST":
        require(user, "reputation.manage_webhooks", user.organization)  # before the form is read
        if form.is_valid():
            try:
                issued = webhooks.webhook_endpoint_create(user=user, **form.cleaned_data)
            except ValidationError as error:
                add_errors_to_form(form, error, default_field="url")
            else:
                form = WebhookForm()
    context = _list_context(request, form=form, issued=issued)
    return render(request, "reputation/webhooks.html", context, status=400 if form.errors else 200)


def _detail(request: HttpRequest, endpoint: WebhookEndpoint, **extra: Any) -> HttpResponse:
    user = signed_in_user(request)
    deliveries = webhooks.webhook_delivery_list(user=user, endpoint=endpoint)
    context = {
        "endpoint": endpoint,
        "secret_prefix": webhooks.secret_prefix(endpoint.secret),
        "page": Paginator(deliveries, 25).get_page(request.GET.get("page")),
        "can_manage": may(user, "reputation.manage_webhooks", endpoint),
        **extra,
    }
    return render(request, "reputation/webhook.html", context)


@login_required
@require_safe
def webhook_detail(request: HttpRequest, webhook_id: int) -> HttpResponse:
    """One endpoint and its delivery log (status, attempts, next try, last error, each attempt)."""
    return _detail(request, webhooks.webhook_endpoint_get(user=signed_in_user(request), webhook_id=webhook_id))


@login_required
@require_POST
def webhook_rotate(request: HttpRequest, webhook_id: int) -> HttpResponse:
    user = signed_in_user(request)
    endpoint = webhooks.webhook_endpoint_get(user=user, webhook_id=webhook_id)
    issued = webhooks.webhook_endpoint_rotate_secret(user=user, endpoint=endpoint)
    return _detail(request, issued.endpoint, issued=issued)


def _switch(request: HttpRequest, webhook_id: int, *, enable: bool) -> HttpResponse:
    user = signed_in_user(request)
    endpoint = webhooks.webhook_endpoint_get(user=user, webhook_id=webhook_id)
    if enable:
        webhooks.webhook_endpoint_enable(user=user, endpoint=endpoint)
        messages.success(request, "Endpoint enabled: new events are sent to it again. Resend what it missed below.")
    else:
        webhooks.webhook_endpoint_disable(user=user, endpoint=endpoint)
        messages.success(request, "Endpoint disabled: nothing is sent to it until you enable it.")
    return redirect("reputation:webhook", endpoint.pk)


@login_required
@require_POST
def webhook_enable(request: HttpRequest, webhook_id: int) -> HttpResponse:
    return _switch(request, webhook_id, enable=True)


@login_required
@require_POST
def webhook_disable(request: HttpRequest, webhook_id: int) -> HttpResponse:
    return _switch(request, webhook_id, enable=False)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, webhook_id: int) -> HttpResponse:
    user = signed_in_user(request)
    endpoint = webhooks.webhook_endpoint_get(user=user, webhook_id=webhook_id)
    webhooks.webhook_endpoint_delete(user=user, endpoint=endpoint)
    messages.success(request, f"Endpoint {endpoint.url} deleted with its delivery log.")
    return redirect("reputation:webhooks")


@login_required
@require_POST
def webhook_resend(request: HttpRequest, webhook_id: int, delivery_id: int) -> HttpResponse:
    user = signed_in_user(request)
    endpoint = webhooks.webhook_endpoint_get(user=user, webhook_id=webhook_id)
    delivery = webhooks.webhook_delivery_get(user=user, endpoint=endpoint, delivery_id=delivery_id)
    delivery = webhooks.webhook_delivery_resend(user=user, delivery=delivery)
    if request.htmx:  # type: ignore[attr-defined]
        fresh = webhooks.webhook_delivery_get(user=user, endpoint=endpoint, delivery_id=delivery.pk)
        return render(
            request,
            "reputation/webhook.html#delivery-row",
            {"delivery": fresh, "endpoint": endpoint, "can_manage": True},
        )
    messages.success(request, f"Delivery {delivery.msg_id} queued again.")
    return redirect("reputation:webhook", endpoint.pk)
