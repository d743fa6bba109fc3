"""Access policies and decisions: a buyer's rules for trusting an agent, answered with every condition's result.

A policy's rules live in revisions (``PolicyRevision``, never changed: an edit writes the next one), so a
logged ``Decision`` names the exact rules it applied. The conditions, in the order they are reported:

======================  ======================================================  =================================
condition               passes when                                             actual
======================  ======================================================  =================================
``min_tier``            the agent's tier ranks at least the required one        the tier
``min_lower_bound``     the score's lower bound ≥ the required number           the bound
``max_open_disputes``   open disputes about the agent ≤ the number              the count (0 until disputes land)
``required_clause``     one per clause id: its current verdict is ``met``        the shown status (``absent`` if no
                        (``disputed`` is not met)                               pact in force has the clause)
``max_evidence_age_days``  every current verdict's freshest evidence is at      the oldest age in days, over the
                        most that many days old                                 verdicts the caller may see
``consequence_levels``  the agent's consequence level is one of these           the level
======================  ======================================================  =================================

A verdict resting on restricted evidence the caller may not see is judged by its status (``required_clause``)
and left out of the evidence age (its freshness is withheld from the caller, docs/evaluation.md).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Organization, User
from accounts.permissions import can_view, require
from pacts.models import Agent, ConsequenceLevel, PactVersion
from reputation.models import AccessPolicy, Decision, PolicyRevision, Reputation
from trust_portal.errors import Conflict, DomainError, NotFound
from trustcore.score import ALGORITHM, TIERS, rank
from verdicts.models import Verdict

CLAUSE_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,62}")
RULE_FIELDS = (
    "min_tier",
    "min_lower_bound",
    "max_open_disputes",
    "required_clauses",
    "max_evidence_age_days",
    "consequence_levels",
)

# ``(agent_id) -> int``: how many disputes about the agent are open (the disputes app registers one).
open_disputes: list[Callable[[int], int]] = []


class InvalidPolicy(DomainError):
    code = "invalid_policy"
    title = "Invalid access policy"


class PolicyArchived(Conflict):
    code = "policy_archived"
    title = "The policy is archived"


def _number(value: Any, field: str, *, low: float, high: float, whole: bool = False) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise InvalidPolicy(f"{field} must be a number.", field=field)
    if whole and not float(value).is_integer():
        raise InvalidPolicy(f"{field} must be a whole number.", field=field)
    if not low <= value <= high:
        raise InvalidPolicy(f"{field} must be between {low:g} and {high:g}.", field=field)
    return int(value) if whole else float(value)


def clean_rules(data: dict[str, Any]) -> dict[str, Any]:
    """The rules of a policy, checked field by field (400 naming the field); unknown fields are refused."""
    unknown = sorted(set(data) - set(RULE_FIELDS) - {"name"})
    if unknown:
        raise InvalidPolicy(f"Unknown field {unknown[0]!r}.", field=unknown[0])
    rules: dict[str, Any] = {}
    if data.get("min_tier") is not None:
        if data["min_tier"] not in TIERS:
            raise InvalidPolicy(f"min_tier must be one of {', '.join(TIERS)}.", field="min_tier")
        rules["min_tier"] = data["min_tier"]
    if data.get("min_lower_bound") is not None:
        rules["min_lower_bound"] = _number(data["min_lower_bound"], "min_lower_bound", low=0, high=100)
    if data.get("max_open_disputes") is not None:
        rules["max_open_disputes"] = _number(
            data["max_open_disputes"], "max_open_disputes", low=0, high=1e6, whole=True
        )
    if data.get("max_evidence_age_days") is not None:
        rules["max_evidence_age_days"] = _number(
            data["max_evidence_age_days"], "max_evidence_age_days", low=1, high=3650, whole=True
        )
    if data.get("required_clauses") is not None:
        clauses = data["required_clauses"]
        if not isinstance(clauses, list) or len(clauses) > 50:
            raise InvalidPolicy("required_clauses must be a list of at most 50 clause ids.", field="required_clauses")
        for clause in clauses:
            if not isinstance(clause, str) or not CLAUSE_ID.fullmatch(clause):
                shown = repr(clause)
                shown = shown if len(shown) <= 70 else shown[:60] + "…"
                raise InvalidPolicy(f"{shown} is not a clause id.", field="required_clauses")
        if clauses:  # an empty list is no condition (it must not make a policy that allows everything)
            rules["required_clauses"] = list(dict.fromkeys(clauses))
    if data.get("consequence_levels") is not None:
        levels = data["consequence_levels"]
        allowed = [level.value for level in ConsequenceLevel]
        if not isinstance(levels, list) or not levels or any(level not in allowed for level in levels):
            raise InvalidPolicy(
                f"consequence_levels must be a non-empty list of {', '.join(allowed)}.", field="consequence_levels"
            )
        rules["consequence_levels"] = [level for level in allowed if level in levels]
    if not rules:
        raise InvalidPolicy("A policy needs at least one condition.", field="min_tier")
    return rules


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 120:
        raise InvalidPolicy("name must be 1 to 120 characters.", field="name")
    return value.strip()


@transaction.atomic
def policy_create(*, user: User, organization: Organization | None, name: Any, rules: dict[str, Any]) -> AccessPolicy:
    require(user, "reputation.manage_policies", organization)
    assert organization is not None  # the permission refuses users without an organization
    cleaned = clean_rules(rules)
    policy = AccessPolicy.objects.create(organization=organization, name=_name(name), revision=1, created_by=user)
    PolicyRevision.objects.create(policy=policy, number=1, rules=cleaned, created_by=user)
    return policy


@transaction.atomic
def policy_update(
    *, user: User, policy: AccessPolicy, name: Any = None, rules: dict[str, Any] | None = None, merge: bool = False
) -> AccessPolicy:
    """A new revision with these rules (and/or a new name); the old revision stays, as decisions cite it.

    ``merge`` (the API's PATCH): the given conditions change only themselves, ``null`` removes one; without it
    (the page's form) the rules given are the whole new set."""
    require(user, "reputation.manage_policy", policy)
    locked = AccessPolicy.objects.select_for_update().get(pk=policy.pk)
    if locked.archived_at is not None:
        raise PolicyArchived("This policy is archived: it cannot change.")
    if name is not None:
        locked.name = _name(name)
    if rules is not None:
        current = locked.revisions.get(number=locked.revision).rules
        if merge:
            rules = {k: v for k, v in {**current, **rules}.items() if v is not None}
        cleaned = clean_rules(rules)
        if cleaned != current:
            locked.revision += 1
            PolicyRevision.objects.create(policy=locked, number=locked.revision, rules=cleaned, created_by=user)
    locked.save(update_fields=["name", "revision"])
    return locked


def policy_archive(*, user: User, policy: AccessPolicy) -> AccessPolicy:
    require(user, "reputation.manage_policy", policy)
    AccessPolicy.objects.filter(pk=policy.pk, archived_at__isnull=True).update(archived_at=timezone.now())
    policy.refresh_from_db()
    return policy


# --- decisions ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluated:
    """A decision before it is logged (``decision_evaluate``): what the preview shows and the log keeps."""

    result: str
    conditions: list[dict[str, Any]]
    reasons: list[str]
    tier: str
    score: float
    lower_bound: float
    computed_at: datetime
    log_size: int


def _condition(name: str, required: Any, actual: Any, passed: bool, reason: str) -> tuple[dict[str, Any], str]:
    return {"condition": name, "required": required, "actual": actual, "passed": passed}, reason


def decision_evaluate(
    *, rules: dict[str, Any], agent: Agent, reputation: Reputation, verdicts: list[Verdict], now: datetime
) -> Evaluated:
    """Every condition of ``rules`` against the agent's standing; pure given its inputs (no query)."""
    checks: list[tuple[dict[str, Any], str]] = []
    if "min_tier" in rules:
        required = rules["min_tier"]
        checks.append(
            _condition(
                "min_tier",
                required,
                reputation.tier,
                rank(reputation.tier) >= rank(required),
                f"tier {reputation.tier} is below {required}",
            )
        )
    if "min_lower_bound" in rules:
        required = rules["min_lower_bound"]
        checks.append(
            _condition(
                "min_lower_bound",
                required,
                reputation.lower_bound,
                reputation.lower_bound >= required,
                f"lower bound {reputation.lower_bound:.1f} is below {required:g}",
            )
        )
    if "max_open_disputes" in rules:
        required = rules["max_open_disputes"]
        count = sum(provider(agent.pk) for provider in open_disputes)
        checks.append(
            _condition(
                "max_open_disputes", required, count, count <= required, f"{count} open dispute(s), at most {required}"
            )
        )
    by_clause = {v.clause_id: v for v in verdicts}
    for clause_id in rules.get("required_clauses", []):
        verdict = by_clause.get(clause_id)
        actual = verdict.shown_status if verdict is not None else "absent"
        checks.append(
            _condition(
                f"required_clause:{clause_id}",
                "met",
                actual,
                actual == Verdict.Status.MET,
                f"clause {clause_id} is {actual.replace('_', ' ')}" if verdict else f"no clause {clause_id} in force",
            )
        )
    if "max_evidence_age_days" in rules:
        required = rules["max_evidence_age_days"]
        visible = [v for v in verdicts if not getattr(v, "withheld", False)]
        ages = [(now - v.freshest_at).total_seconds() / 86400 if v.freshest_at else None for v in visible]
        oldest = None if any(a is None for a in ages) or not ages else round(max(a for a in ages if a is not None), 2)
        passed = oldest is not None and oldest <= required
        checks.append(
            _condition(
                "max_evidence_age_days",
                required,
                oldest,
                passed,
                f"evidence is {oldest:g} days old, at most {required}"
                if oldest is not None
                else "a clause has no fresh evidence",
            )
        )
    if "consequence_levels" in rules:
        allowed = rules["consequence_levels"]
        checks.append(
            _condition(
                "consequence_levels",
                allowed,
                agent.consequence_level,
                agent.consequence_level in allowed,
                f"consequence level {agent.consequence_level} is not allowed",
            )
        )
    conditions = [condition for condition, _ in checks]
    reasons = [reason for condition, reason in checks if not condition["passed"]]
    return Evaluated(
        result="allow" if not reasons else "deny",
        conditions=conditions,
        reasons=reasons or ["every condition passed"],
        tier=reputation.tier,
        score=reputation.score,
        lower_bound=reputation.lower_bound,
        computed_at=reputation.computed_at,
        log_size=reputation.log_size,
    )


STANDING_FIELDS = ("id", "agent_id", "pact_id", "clause_id", "status", "disputed", "freshest_at", "rests_on_restricted")


def standing(*, user: Any, agent: Agent) -> tuple[Reputation, list[Verdict]]:
    """The agent's reputation and its current verdicts under the pacts in force, as ``user`` may see them."""
    from verdicts.selectors import shown

    try:
        reputation = agent.reputation  # type: ignore[attr-defined]  # selected with the agent on hot paths
    except Reputation.DoesNotExist:
        reputation = Reputation(agent=agent, algorithm=ALGORITHM, computed_at=timezone.now())
    current = list(Verdict.objects.raw(_CURRENT_VERDICTS_SQL, [agent.pk]))
    return reputation, shown(current, user=user, agent=agent)


# The decision is the trust loop's hot path (bench/decision.py): its reads are written out as SQL, which spares the
# ORM's compilation (about a millisecond a query) but not the permission checks, made on the objects they return
# with the one mechanism (``can_view`` / ``require``), as the authorization matrix checks cell by cell.
_CURRENT_VERDICTS_SQL = (
    f"SELECT v.{', v.'.join(STANDING_FIELDS)} FROM {Verdict._meta.db_table} v "  # noqa: S608  (names are constants)
    f"JOIN {PactVersion._meta.db_table} pv ON pv.id = v.pact_version_id "
    "WHERE v.agent_id = %s AND v.is_current AND pv.status <> 'retired'"
)
_POLICY_SQL = (
    "SELECT p.id, p.organization_id, p.name, p.revision, p.archived_at, "  # noqa: S608  (names are constants)
    "r.id AS revision_pk, r.rules AS revision_rules "
    f"FROM {AccessPolicy._meta.db_table} p JOIN {PolicyRevision._meta.db_table} r "
    "ON r.policy_id = p.id AND r.number = p.revision WHERE p.id = %s"
)
_AGENT_SQL = (
    "SELECT a.id, a.organization_id, a.name, a.slug, a.consequence_level, "  # noqa: S608  (names are constants)
    "r.score AS r_score, "
    "r.lower_bound AS r_lower_bound, r.tier AS r_tier, r.computed_at AS r_computed_at, r.log_size AS r_log_size "
    f"FROM {Agent._meta.db_table} a LEFT JOIN {Reputation._meta.db_table} r ON r.agent_id = a.id WHERE a.slug = %s"
)


def decision_agent(*, user: Any, slug: str) -> Agent:
    """The agent with its reputation, in one query, for a decision; 404 when the user may not see it."""
    agent = next(iter(Agent.objects.raw(_AGENT_SQL, [slug])), None)
    if agent is None or not can_view(user, agent):
        raise NotFound(f"No agent {slug!r}.")
    if agent.r_tier is None:  # type: ignore[attr-defined]
        reputation = Reputation(agent=agent, algorithm=ALGORITHM, computed_at=timezone.now())
    else:
        reputation = Reputation(
            agent=agent,
            score=agent.r_score,  # type: ignore[attr-defined]
            lower_bound=agent.r_lower_bound,  # type: ignore[attr-defined]
            tier=agent.r_tier,  # type: ignore[attr-defined]
            computed_at=_aware(agent.r_computed_at),  # type: ignore[attr-defined]
            log_size=agent.r_log_size,  # type: ignore[attr-defined]
            algorithm=ALGORITHM,
        )
    agent._state.fields_cache["reputation"] = reputation
    return agent


def _aware(moment: Any) -> datetime:
    """A raw column's time as an aware datetime (SQLite hands back text or naive values)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def _asynchronous_commit() -> None:
    """The decision log's row commits without waiting for its WAL flush (PostgreSQL ``synchronous_commit = off``,
    for this transaction only): a database crash may lose the last fraction of a second of logged decisions, never
    corrupt them, and nothing else is written here. Every decision's inputs are kept in the row, so a lost one is
    reproducible; the flush it no longer waits for was most of a decision's time (bench/decision.py)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def new_decision_id() -> str:
    """``dec_`` + a ULID (48-bit milliseconds, 80 random bits, Crockford base32): unique and time-ordered."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
    return "dec_" + "".join(alphabet[(value >> shift) & 31] for shift in range(125, -1, -5))


def decide(*, user: User, agent: Agent, policy_id: int, now: datetime | None = None) -> tuple[Decision, Evaluated]:
    """Answer allow/deny under the policy's revision in force, and log the decision (the decision log)."""
    now = now or timezone.now()
    policy = next(iter(AccessPolicy.objects.raw(_POLICY_SQL, [policy_id])), None)  # with its revision's rules
    if policy is None or not can_view(user, policy):
        raise NotFound(f"No policy {policy_id}.", field="policy")
    if isinstance(policy.revision_rules, str):  # type: ignore[attr-defined]  # a raw column: JSON text on some drivers
        policy.revision_rules = json.loads(policy.revision_rules)  # type: ignore[attr-defined]
    require(user, "reputation.decide", policy)
    if policy.archived_at is not None:
        raise PolicyArchived(f"Policy {policy.pk} was archived on {policy.archived_at:%Y-%m-%d}: it decides no more.")
    revision = PolicyRevision(
        pk=policy.revision_pk,  # type: ignore[attr-defined]
        policy=policy,
        number=policy.revision,
        rules=policy.revision_rules,  # type: ignore[attr-defined]
    )
    reputation, verdicts = standing(user=user, agent=agent)
    evaluated = decision_evaluate(rules=revision.rules, agent=agent, reputation=reputation, verdicts=verdicts, now=now)
    with transaction.atomic():
        _asynchronous_commit()
        decision = Decision.objects.create(
            decision_id=new_decision_id(),
            policy=policy,
            revision=revision,
            agent=agent,
            requested_by=user if getattr(user, "is_authenticated", False) else None,
            result=evaluated.result,
            input={
                "agent": agent.slug,
                "policy": policy.pk,
                "revision": revision.number,
                "tier": reputation.tier,
                "score": reputation.score,
                "lower_bound": reputation.lower_bound,
                "computed_at": reputation.computed_at.isoformat(),
                "verdicts": {v.clause_id: v.shown_status for v in verdicts},
                "consequence_level": agent.consequence_level,
            },
            conditions=evaluated.conditions,
            reasons=evaluated.reasons,
            at=now,
        )
    return decision, evaluated


PREVIEW_LIMIT = 100


def preview(*, user: Any, rules: dict[str, Any], now: datetime | None = None) -> list[tuple[Agent, Evaluated]]:
    """Which agents the rules would allow today, without logging anything (the policy page's live preview):
    every agent with a pact in force, at most ``PREVIEW_LIMIT``, in a constant number of queries per agent."""
    from verdicts.selectors import shown

    now = now or timezone.now()
    agents = list(
        Agent.objects.restrict(user, "view")
        .filter(pacts__versions__status__in=[PactVersion.Status.PUBLISHED, PactVersion.Status.SUPERSEDED])
        .distinct()
        .select_related("organization")
        .order_by("name")[:PREVIEW_LIMIT]
    )
    reputations = {r.agent_id: r for r in Reputation.objects.filter(agent__in=agents)}
    current: dict[int, list[Verdict]] = {}
    for verdict in Verdict.objects.filter(agent__in=agents, is_current=True).exclude(
        pact_version__status=PactVersion.Status.RETIRED
    ):
        current.setdefault(verdict.agent_id, []).append(verdict)
    out = []
    for agent in agents:
        reputation = reputations.get(agent.pk) or Reputation(agent=agent, algorithm=ALGORITHM, computed_at=now)
        verdicts = shown(current.get(agent.pk, []), user=user, agent=agent)
        out.append(
            (agent, decision_evaluate(rules=rules, agent=agent, reputation=reputation, verdicts=verdicts, now=now))
        )
    return out
