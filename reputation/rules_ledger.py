"""Who may see and do what with engagements and the consequence ledger (a section of ``reputation.rules``,
which imports it).

An engagement and its ledger entries concern two organizations: the buyer (every member reads them; owners
start and end engagements) and the agent's vendor (every member reads them; owners mark entries paid or
waived). Staff see all and cancel entries (what a ruling will do); nobody else learns one exists (404). An
agent-scoped token acts for no organization, so it sees none.
"""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Q

from accounts.permissions import EVERYTHING, NOTHING, permission, view_permission
from accounts.rules import (
    acts_as_staff,
    is_buyer,
    is_member_of_owner,
    is_org_owner,
    is_owner_of_owner,
    is_staff,
    organization_id_of,
    owned_organization_id,
)
from reputation.models import Engagement, LedgerEntry


@rules.predicate
def is_member_of_buyer(user: Any, obj: Any) -> bool:
    """A member of the buyer organization of an engagement or ledger entry."""
    org_id = organization_id_of(user)
    return obj is not None and org_id is not None and org_id == obj.buyer_id


@rules.predicate
def is_owner_of_buyer(user: Any, obj: Any) -> bool:
    org_id = owned_organization_id(user)
    return obj is not None and org_id is not None and org_id == obj.buyer_id


def _parties(user: Any) -> Q:
    """The buyer's own rows and the rows of the vendor's agents."""
    if acts_as_staff(user):
        return EVERYTHING
    org_id = organization_id_of(user)
    if org_id is None:
        return NOTHING
    return Q(buyer_id=org_id) | Q(agent__organization_id=org_id)


# ``is_member_of_owner`` of an engagement or entry is the agent's vendor (``owning_organization_id`` follows agent).
view_permission(Engagement, "reputation.view_engagement", is_member_of_buyer | is_member_of_owner | is_staff, _parties)
view_permission(
    LedgerEntry, "reputation.view_ledger_entry", is_member_of_buyer | is_member_of_owner | is_staff, _parties
)
permission(
    "reputation.start_engagement",
    is_buyer & is_org_owner,
    "Only an owner of a buyer organization may engage an agent.",
)
permission(
    "reputation.end_engagement",
    is_owner_of_buyer,
    "Only an owner of the buyer organization may end its engagement.",
)
permission(
    "reputation.settle_ledger_entry",
    is_owner_of_owner,
    "Only an owner of the agent's vendor may mark a service credit paid or waived.",
)
permission(
    "reputation.cancel_ledger_entry",
    is_staff,
    "Only a ruling (staff, for now) may cancel a service credit.",
)
