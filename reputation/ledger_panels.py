"""The engagement panel on the agent page (``pacts.hooks.agent_panels``): a buyer's engagement of this agent, and
"Engage this agent" for a buyer organization's owners; a vendor sees how many buyers engage its agent."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from accounts.permissions import may
from accounts.roles import Role, role_of
from reputation.engagements import engageable_pacts, engagement_list
from reputation.ledger_forms import EngagementForm


def engagement_panel(request: HttpRequest, agent: Any) -> dict[str, Any] | None:
    user = request.user
    role = role_of(user)
    if role not in (Role.BUYER, Role.VENDOR):
        return None
    engagements = list(engagement_list(user=user, agent=agent)[:20])
    if role is Role.VENDOR and not engagements:
        return None
    can_start = role is Role.BUYER and may(user, "reputation.start_engagement", agent)
    open_ones = [e for e in engagements if e.status != "ended"]
    engaged = {e.pact_id for e in open_ones}
    pacts = [(p, v) for p, v in engageable_pacts(agent=agent) if p.pk not in engaged] if can_start else []
    form = EngagementForm(initial={"agent": agent.slug, "starts_on": timezone.localdate(), "currency": "EUR"})
    return {
        "template": "reputation/_engagement_panel.html",
        "context": {
            "agent": agent,
            "role": role.value,
            "engagements": engagements,
            "open_engagements": open_ones,
            "can_start": can_start and bool(pacts),
            "pacts": pacts,
            "form": form,
        },
    }
