"""Who may see and do what with agents and pacts.

Agents and published versions are public. Drafts, and pacts never published, exist only for members of
the vendor organization that owns the agent. Members author (agents, pacts, drafts); owners commit the
organization (publish, re-review, retire). Buyers follow agents.
"""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Exists, OuterRef, Q

from accounts.permissions import EVERYTHING, permission, view_permission
from accounts.rules import is_buyer, is_member_of_owner, is_owner_of_owner, is_staff, is_vendor, organization_id_of
from pacts.models import Agent, Pact, PactEvent, PactVersion


def _mine(user: Any, path: str) -> Q | None:
    org_id = organization_id_of(user)
    return Q(**{path: org_id}) if org_id is not None else None


def _or_mine(condition: Q, user: Any, path: str) -> Q:
    mine = _mine(user, path)
    return condition | mine if mine is not None else condition


@rules.predicate
def is_published(user: Any, pact: Any) -> bool:
    return pact is not None and pact.versions.public().exists()


@rules.predicate
def is_public_version(user: Any, version: Any) -> bool:
    return version is not None and version.status != PactVersion.Status.DRAFT


@rules.predicate
def is_public_event(user: Any, event: Any) -> bool:
    return event is not None and event.action in PactEvent.PUBLIC_ACTIONS


view_permission(Agent, "pacts.view_agent", rules.always_allow, lambda user: EVERYTHING)
view_permission(
    Pact,
    "pacts.view_pact",
    is_published | is_member_of_owner,
    lambda user: _or_mine(
        Q(Exists(PactVersion.objects.public().filter(pact=OuterRef("pk")))), user, "agent__organization_id"
    ),
)
view_permission(
    PactVersion,
    "pacts.view_version",
    is_public_version | is_member_of_owner,
    lambda user: _or_mine(~Q(status=PactVersion.Status.DRAFT), user, "pact__agent__organization_id"),
)
view_permission(
    PactEvent,
    "pacts.view_event",
    is_public_event | is_member_of_owner,
    lambda user: _or_mine(Q(action__in=PactEvent.PUBLIC_ACTIONS), user, "pact__agent__organization_id"),
)

permission("pacts.register_agent", is_vendor, "Only members of a vendor organization can register agents.")
permission("pacts.edit_agent", is_member_of_owner, "Only members of the agent's vendor organization may edit it.")
permission(
    "pacts.author_pact",
    is_member_of_owner,
    "Only members of the agent's vendor organization may write its pacts and drafts.",
)
permission(
    "pacts.publish_version",
    is_owner_of_owner,
    "Only an owner of the agent's vendor organization may publish a pact version (members author drafts).",
)
permission(
    "pacts.review_pact",
    is_owner_of_owner,
    "Only an owner of the agent's vendor organization may record a re-review of its pact.",
)
permission(
    "pacts.retire_pact",
    is_owner_of_owner | is_staff,
    "Only an owner of the agent's vendor organization (or staff) may retire its pact.",
)
permission("pacts.follow_agent", is_buyer, "Only buyers can follow agents.")
