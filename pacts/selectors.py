"""Reads of agents and pacts, scoped to the user before anything is fetched.

Agents and published versions are public (anyone, signed in or not). Drafts,
and pacts that have never been published, are visible only to members of the
vendor organization that owns the agent; to everyone else they do not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from pacts import hooks
from pacts.models import Agent, ConsequenceLevel, Follow, Pact, PactClause, PactEvent, PactVersion
from trust_portal.errors import NotFound


def _visible_pacts(user: Any, at: datetime | None = None) -> QuerySet[Pact]:
    """The pacts the user may see, with ``review_due`` (of their version in force at ``at``) read in the same query."""
    return Pact.objects.with_review_due(at).restrict(user, "view")


def version_in_force(*, pact: Pact, at: datetime | None = None) -> PactVersion | None:
    """The version of ``pact`` in force at ``at`` (now by default), with its clauses; None when none is.

    What every part of the portal means by "the version in force" or "current": ingest (which clauses want
    signed evidence), review staleness, evaluation, bundles and pages. One definition,
    ``PactVersion.objects.in_force``; this is it for one pact.
    """
    return PactVersion.objects.in_force(at).filter(pact=pact).order_by("-number").prefetch_related("clauses").first()


def _with_current(pacts: QuerySet[Pact], at: datetime | None = None) -> QuerySet[Pact]:
    """Annotate the version in force at ``at`` (number, hash, effective_from) and the next scheduled one."""
    current = PactVersion.objects.in_force(at).filter(pact=OuterRef("pk")).order_by()  # one row at most
    scheduled = PactVersion.objects.scheduled(at).filter(pact=OuterRef("pk")).order_by("effective_from", "number")
    return pacts.annotate(
        current_number=Subquery(current.values("number")[:1]),
        current_hash=Subquery(current.values("content_hash")[:1]),
        current_effective_from=Subquery(current.values("effective_from")[:1]),
        scheduled_number=Subquery(scheduled.values("number")[:1]),
        scheduled_effective_from=Subquery(scheduled.values("effective_from")[:1]),
    )


# The directory's own sortable columns (``?sort=name``, ``-name`` descending); later apps add theirs through
# ``pacts.hooks.directory_columns``. Every sort ends on name and id, so pages are stable.
BUILTIN_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "vendor": ("organization__name",),
    "consequence": ("consequence_rank",),
    "followers": ("follower_count",),
}
CONSEQUENCE_RANK = Case(
    *(When(consequence_level=level, then=Value(i)) for i, level in enumerate(ConsequenceLevel.values)),
    default=Value(len(ConsequenceLevel.values)),
    output_field=IntegerField(),
)


def directory_sorts() -> dict[str, tuple[str, ...]]:
    """Every sort key of the directory and the annotations it orders by (built-in, then the providers')."""
    sorts = dict(BUILTIN_SORTS)
    for provider in hooks.directory_columns:
        sorts.update({c.name: tuple(c.sort) for c in provider.columns if c.sort})
    return sorts


def _ordering(sort: str) -> list[Any]:
    descending = sort.startswith("-")
    keys = directory_sorts().get(sort.removeprefix("-"))
    if not keys:
        return [F("name").asc(), F("id").asc()]
    order = [F(k).desc(nulls_last=True) if descending else F(k).asc(nulls_last=True) for k in keys]
    return [*order, F("name").asc(), F("id").asc()]


def agent_list(
    *,
    user: Any,
    q: str = "",
    vendor: str = "",
    stale: bool | None = None,
    sort: str = "",
    filters: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> QuerySet[Agent]:
    """The directory: every agent the user may see, with its visible pacts (current version annotated) prefetched
    and the later apps' columns annotated (``pacts.hooks.directory_columns``: tier, score, clause summary,
    evidence freshness, open disputes), filtered and sorted by any of them. A constant number of queries
    whatever the number of agents and the evidence behind them.

    ``filters``: the providers' filters by query parameter (absent or None: not applied); ``sort``: a key of
    ``directory_sorts()``, ``-key`` descending (unknown or empty: by name)."""
    now = now or timezone.now()
    stale_pacts_of_agent = (
        Pact.objects.stale(now).filter(agent=OuterRef("pk")).order_by().values("agent").annotate(n=Count("pk"))
    )
    followers = Follow.objects.filter(agent=OuterRef("pk")).order_by().values("agent").annotate(n=Count("pk"))
    agents: QuerySet[Any] = (
        Agent.objects.restrict(user, "view")
        .select_related("organization")
        .annotate(
            stale_pact_count=Coalesce(Subquery(stale_pacts_of_agent.values("n")), 0),
            follower_count=Coalesce(Subquery(followers.values("n")), 0),
            consequence_rank=CONSEQUENCE_RANK,
        )
        .prefetch_related(
            Prefetch("pacts", queryset=_with_current(_visible_pacts(user)).order_by("id"), to_attr="visible_pacts")
        )
    )
    for provider in hooks.directory_columns:
        agents = provider.annotate(agents, now)
    if q:
        agents = agents.filter(Q(name__icontains=q) | Q(description__icontains=q) | Q(slug__icontains=q))
    if vendor:
        agents = agents.filter(Q(organization__slug=vendor) | Q(organization__name__iexact=vendor))
    if stale is True:
        agents = agents.filter(stale_pact_count__gt=0)
    elif stale is False:
        agents = agents.filter(stale_pact_count=0)
    for provider in hooks.directory_columns:
        for directory_filter in provider.filters:
            value = (filters or {}).get(directory_filter.name)
            if value is not None and value != "":
                agents = directory_filter.apply(agents, value, user)
    if getattr(user, "is_authenticated", False):
        agents = agents.annotate(is_followed=Exists(Follow.objects.filter(agent=OuterRef("pk"), user=user)))
    return agents.order_by(*_ordering(sort))


def agent_find(*, user: Any, slug: str, related: tuple[str, ...] = ()) -> Agent:
    """One agent by slug with nothing annotated (hot paths: access decisions), joined with ``related`` (e.g.
    a later app's one-to-one row); 404 when not visible."""
    agent = Agent.objects.restrict(user, "view").select_related("organization", *related).filter(slug=slug).first()
    if agent is None:
        raise NotFound(f"No agent {slug!r}.")
    return agent


def agent_get(*, user: Any, slug: str) -> Agent:
    agent = agent_list(user=user).filter(slug=slug).first()
    if agent is None:
        raise NotFound(f"No agent {slug!r}.")
    return agent


def agent_pacts(*, user: Any, agent: Agent) -> QuerySet[Pact]:
    return _with_current(_visible_pacts(user).filter(agent=agent)).order_by("id")


def pact_get(*, user: Any, pact_id: int) -> Pact:
    pact = _with_current(_visible_pacts(user)).select_related("agent__organization").filter(pk=pact_id).first()
    if pact is None:
        raise NotFound("No such pact.")
    return pact


def pact_version_list(*, user: Any, pact: Pact) -> QuerySet[PactVersion]:
    return (
        PactVersion.objects.restrict(user, "view")
        .filter(pact=pact)
        .select_related("published_by", "created_by")
        .order_by("-number")
    )


def pact_version_get(*, user: Any, pact: Pact, number: int) -> PactVersion:
    version = (
        pact_version_list(user=user, pact=pact)
        .prefetch_related(Prefetch("clauses", queryset=PactClause.objects.order_by("position")))
        .filter(number=number)
        .first()
    )
    if version is None:
        raise NotFound(f"Pact {pact.pk} has no version {number}.")
    return version


def pact_current_version(*, pact: Pact) -> PactVersion | None:
    """The version in force now (``version_in_force``, under the name the pages and verdicts know)."""
    return version_in_force(pact=pact)


def pact_events(*, user: Any, pact: Pact) -> QuerySet[PactEvent]:
    return PactEvent.objects.restrict(user, "view").filter(pact=pact).select_related("actor", "version")


def stale_pacts(*, at: datetime | None = None) -> QuerySet[Pact]:
    """Pacts whose version in force is past its review date: their agents cannot hold a tier above probation."""
    return Pact.objects.stale(at)
