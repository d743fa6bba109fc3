"""Who may see and do what with incidents.

Sees an incident: the members of the agent's vendor; members of a buyer organization engaging the agent (an
engagement not ended); the organization that reported it; staff; and, once the vendor's owners made it
``public``, everyone (anonymous visitors and agent-scoped tokens included, like published pacts). Nobody else
learns it exists (404).

Does:

| action | who |
|---|---|
| report (create) | members of the agent's vendor; members of a buyer organization engaging the agent; staff |
| write the postmortem, start the analysis, correct the first missed signal, edit the incident | the vendor's members; staff |
| close | the vendor's owners; staff |
| make public / private | the vendor's owners; staff |
| add a timeline note | whoever may write the postmortem, and members of the reporting organization |
| edit a note | its author |

A buyer reports what it saw and adds notes; the analysis is the vendor's (DESIGN.md: vendors answer for their
agents). An agent-scoped token acts for no organization: it reads public incidents and writes nothing.
"""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.permissions import EVERYTHING, permission, view_permission
from accounts.rules import acts_as_staff, is_member_of_owner, is_owner_of_owner, is_staff, organization_id_of
from incidents.models import Incident, Replay, TimelineNote
from reputation.models import Engagement


def engaging(organization_id: int, today: Any = None) -> Any:
    """The engagements of an organization that have not ended (active or scheduled)."""
    today = today or timezone.localdate()
    return Engagement.objects.filter(buyer_id=organization_id, ended_at__isnull=True).exclude(ends_on__lt=today)


def engages(organization_id: int | None, agent_id: int) -> bool:
    return organization_id is not None and engaging(organization_id).filter(agent_id=agent_id).exists()


def _visible(user: Any, prefix: str = "") -> Q:
    if acts_as_staff(user):
        return EVERYTHING
    public = Q(**{f"{prefix}public": True})
    org_id = organization_id_of(user)
    if org_id is None:
        return public
    engaged = Exists(engaging(org_id).filter(agent_id=OuterRef(f"{prefix}agent_id")))
    return (
        public
        | Q(**{f"{prefix}agent__organization_id": org_id})
        | Q(**{f"{prefix}reported_by_org_id": org_id})
        | Q(engaged)
    )


@rules.predicate
def may_see_incident(user: Any, incident: Any) -> bool:
    if incident is None:
        return False
    if incident.public or acts_as_staff(user):
        return True
    org_id = organization_id_of(user)
    if org_id is None:
        return False
    return org_id in (incident.agent.organization_id, incident.reported_by_org_id) or engages(org_id, incident.agent_id)


@rules.predicate
def may_report(user: Any, agent: Any) -> bool:
    """A member of the agent's vendor, or of a buyer organization engaging it (``agent`` None: any vendor or buyer
    member, the check before a body names the agent)."""
    org_id = organization_id_of(user)
    if org_id is None:
        return False
    if agent is None:
        return True
    return org_id == agent.organization_id or engages(org_id, agent.pk)


@rules.predicate
def is_member_of_reporter(user: Any, incident: Any) -> bool:
    org_id = organization_id_of(user)
    return incident is not None and org_id is not None and org_id == incident.reported_by_org_id


@rules.predicate
def is_note_author(user: Any, note: Any) -> bool:
    return note is not None and getattr(user, "is_authenticated", False) and note.author_id == user.pk


@rules.predicate
def may_see_note(user: Any, note: Any) -> bool:
    return note is not None and may_see_incident(user, note.incident)


view_permission(Incident, "incidents.view_incident", may_see_incident, _visible)
view_permission(TimelineNote, "incidents.view_note", may_see_note, lambda user: _visible(user, "incident__"))

permission(
    "incidents.create",
    may_report | is_staff,
    "Only members of the agent's vendor, of a buyer organization engaging the agent, or staff may report an incident.",
)
permission(
    "incidents.analyse",
    is_member_of_owner | is_staff,
    "Only members of the agent's vendor (or staff) write the postmortem and analyse the incident.",
)
permission(
    "incidents.close", is_owner_of_owner | is_staff, "Only an owner of the agent's vendor (or staff) may close it."
)
permission(
    "incidents.publish",
    is_owner_of_owner | is_staff,
    "Only an owner of the agent's vendor (or staff) may make an incident public or private.",
)
permission(
    "incidents.note",
    is_member_of_owner | is_member_of_reporter | is_staff,
    "Only members of the agent's vendor, of the reporting organization, or staff may add notes.",
)
permission("incidents.edit_note", is_note_author, "Only the note's author may edit it.")
permission(
    "incidents.view_metrics",
    rules.always_allow,
    "Anyone may read the metrics, over the incidents they may see.",
)


# --- trust after degradation and replays (docs/incidents.md) ------------------------------------------------------


@rules.predicate
def engages_agent(user: Any, agent: Any) -> bool:
    return agent is not None and engages(organization_id_of(user), agent.pk)


@rules.predicate
def is_buyer_member(user: Any) -> bool:
    from accounts.rules import is_buyer

    return bool(is_buyer(user)) and organization_id_of(user) is not None


def _own_replays(user: Any) -> Q:
    from incidents.replays import visible_replays

    return visible_replays(user)


@rules.predicate
def may_see_replay(user: Any, replay: Any) -> bool:
    return replay is not None and (acts_as_staff(user) or (user.is_authenticated and replay.requester_id == user.pk))


view_permission(Replay, "incidents.view_replay", may_see_replay, _own_replays)
permission(
    "incidents.view_degradation",
    is_member_of_owner | engages_agent | is_staff,
    "Only members of the agent's vendor, of a buyer organization engaging the agent, or staff may read its "
    "trust-after-degradation report.",
)
permission(
    "incidents.replay",
    is_member_of_owner | is_buyer_member | is_staff,
    "Only members of the agent's vendor, members of a buyer organization, or staff may replay an agent's history.",
)
