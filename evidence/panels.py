"""The access panel on the agent page (``pacts.hooks.agent_panels``): for a buyer, its organization's access to the
agent's restricted evidence and "Request access"; for the agent's vendor, the pending requests and the links to
the requests, rules and access log."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.permissions import may
from evidence.access_requests import access_request_list, pending_first
from evidence.forms import AccessRequestForm
from evidence.models import AccessRequest
from evidence.selectors import can_see_restricted


def access_panel(request: HttpRequest, agent: Any) -> dict[str, Any] | None:
    user = request.user
    if may(user, "evidence.request_access", agent):
        requests = list(pending_first(access_request_list(user=user, agent=agent))[:5])
        latest = requests[0] if requests else None
        pending = latest is not None and latest.status == AccessRequest.Status.PENDING
        return {
            "template": "evidence/_access_panel.html",
            "context": {
                "agent": agent,
                "side": "buyer",
                "latest": latest,
                "has_access": can_see_restricted(user=user, agent=agent),
                "can_request": not pending,
                "form": AccessRequestForm(),
            },
        }
    if may(user, "evidence.view_access_log", agent):
        pending_count = access_request_list(user=user, agent=agent, status=AccessRequest.Status.PENDING).count()
        return {
            "template": "evidence/_access_panel.html",
            "context": {
                "agent": agent,
                "side": "vendor",
                "pending_count": pending_count,
                "can_decide": may(user, "evidence.manage_access_rules", agent),
            },
        }
    return None
