"""Who may see and do what in the trust loop.

Scores, tiers and their histories are public, like the verdicts they are built from: an agent's standing is
what a buyer inspects before trusting it, and its inputs are verdict statuses, never restricted values.
"""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Q

from accounts.permissions import EVERYTHING, NOTHING, permission, view_permission
from accounts.rules import acts_as_staff, is_buyer, is_member_of_owner, is_owner_of_owner, is_staff, organization_id_of
from reputation.models import AccessPolicy, Decision, Reputation, ScoreEvent, TierChange

view_permission(Reputation, "reputation.view_reputation", rules.always_allow, lambda user: EVERYTHING)
view_permission(ScoreEvent, "reputation.view_score_event", rules.always_allow, lambda user: EVERYTHING)
view_permission(TierChange, "reputation.view_tier_change", rules.always_allow, lambda user: EVERYTHING)


# --- access policies and decisions (buyers) -------------------------------------------------------------------
# A policy belongs to a buyer organization: its owners write it, every member reads it and asks for decisions
# under it, staff read everything; nobody else learns it exists (404). A decision belongs to its policy's
# organization (not to the agent's vendor, whom ``owning_organization_id`` would name).


@rules.predicate
def is_member_of_policy_owner(user: Any, decision: Any) -> bool:
    org_id = organization_id_of(user)
    return decision is not None and org_id is not None and org_id == decision.policy.organization_id


def _own_policies(user: Any) -> Q:
    if acts_as_staff(user):
        return EVERYTHING
    org_id = organization_id_of(user)
    return Q(organization_id=org_id) if org_id is not None else NOTHING


def _own_decisions(user: Any) -> Q:
    if acts_as_staff(user):
        return EVERYTHING
    org_id = organization_id_of(user)
    return Q(policy__organization_id=org_id) if org_id is not None else NOTHING


view_permission(AccessPolicy, "reputation.view_policy", is_member_of_owner | is_staff, _own_policies)
view_permission(Decision, "reputation.view_decision", is_member_of_policy_owner | is_staff, _own_decisions)
permission(
    "reputation.manage_policies",
    is_buyer & is_owner_of_owner,
    "Only an owner of a buyer organization may write its access policies.",
)
permission(
    "reputation.manage_policy",
    is_owner_of_owner,
    "Only an owner of the policy's organization may change it (members read it and ask for decisions).",
)
permission(
    "reputation.decide",
    is_member_of_owner,
    "Only members of the policy's organization may ask for decisions under it.",
)


# --- webhooks (buyers), and engagements and the consequence ledger (buyers and vendors): each in its own module,
# registered on import
from reputation import rules_ledger, rules_webhooks  # noqa: E402, F401
