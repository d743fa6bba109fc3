"""Who may do what with agents and pacts."""

from __future__ import annotations

from typing import Any

import rules

from accounts.rules import is_buyer, is_vendor


def member_of(user: Any, organization_id: int | None) -> bool:
    membership = getattr(user, "membership_or_none", None) if getattr(user, "is_authenticated", False) else None
    return membership is not None and membership.organization_id == organization_id


@rules.predicate
def is_agent_vendor(user: Any, agent: Any) -> bool:
    return agent is not None and member_of(user, agent.organization_id)


can_register_agent = is_vendor
can_edit_agent = is_agent_vendor
can_follow_agent = is_buyer

rules.add_perm("pacts.register_agent", can_register_agent)
rules.add_perm("pacts.edit_agent", can_edit_agent)
rules.add_perm("pacts.follow_agent", can_follow_agent)
