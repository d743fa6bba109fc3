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
``not_suspended``       always checked when the agent is suspended (a critical   ``suspended``
                        clause breached or stale, or a ruling's cap): fails,
                        unless the policy's ``critical_grace_hours`` (0–168)
                        has not yet run out since the suspension
======================  ======================================================  =================================

Trust never outlives the signal by default: a suspended agent is denied under every policy, whatever else it
asks; only a policy that says so (``critical_grace_hours``) allows it for that long, and the trust-after-
degradation report names those policies (incidents.degradation).

A verdict resting on restricted evidence the caller may not see is judged by its status (``required_clause``)
and left out of the evidence age (its freshness is withheld from the caller, docs/evaluation.md).
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.db.models import Field
from django.utils import timezone

from accounts.models import ApiToken, Organization, User
from accounts.permissions import can_view, require
from accounts.services import token_caller, token_from_rows, token_parameters, token_reading_sql, token_reading_types
from pacts.models import Agent, ConsequenceLevel, PactVersion
from reputation.models import AccessPolicy, Decision, PolicyRevision, Reputation
from reputation.receipts import LATEST_CHECKPOINT_SQL, Checkpoint
from trust_portal.db import Columns, PreparedQuery, unsaved
from trust_portal.errors import Conflict, DomainError, NotFound
from trustcore.score import ALGORITHM, TIERS, rank
from verdicts.models import Verdict
from verdicts.selectors import shown

CLAUSE_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,62}")
RULE_FIELDS = (
    "critical_grace_hours",
    "min_tier",
    "min_lower_bound",
    "max_open_disputes",
    "required_clauses",
    "max_evidence_age_days",
    "consequence_levels",
)

# ``(agent_id) -> int``: how many disputes about the agent are open (the disputes app registers one).
open_disputes: list[Callable[[int], int]] = []
# The same count as SQL, which a decision reads with everything else in its one query instead of asking a function
# (a query of its own per decision): ``() -> str``, a scalar expression over the agent's id column ``a.id``, e.g.
# ``(SELECT COUNT(*) FROM disputes_dispute d WHERE d.agent_id = a.id AND d.status NOT IN ('closed', …))``.
# Register a provider in one of the two lists, not both.
open_disputes_sql: list[Callable[[], str]] = []


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
    if data.get("critical_grace_hours") is not None:
        rules["critical_grace_hours"] = _number(
            data["critical_grace_hours"], "critical_grace_hours", low=0, high=168, whole=True
        )
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
    *,
    rules: dict[str, Any],
    agent: Agent,
    reputation: Reputation,
    verdicts: list[Verdict],
    now: datetime,
    open_disputes_counted: int | None = None,
) -> Evaluated:
    """Every condition of ``rules`` against the agent's standing; pure given its inputs (no query) but for the
    open-dispute providers: ``open_disputes_counted`` is what the ``open_disputes_sql`` ones counted, when the
    caller read it (else it is counted here)."""
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
        if open_disputes_counted is None:
            open_disputes_counted = _open_disputes_by_sql(agent.pk)
        count = open_disputes_counted + sum(provider(agent.pk) for provider in open_disputes)
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
    grace = rules.get("critical_grace_hours", 0)
    if reputation.tier == "suspended":
        since = getattr(reputation, "tier_since", None) or now
        held_hours = max(0.0, (now - since).total_seconds() / 3600)
        within = grace > 0 and held_hours <= grace
        checks.append(
            _condition(
                "not_suspended",
                f"not suspended (or within {grace} h of grace)" if grace else "not suspended",
                "suspended",
                within,
                f"the agent is suspended (a critical clause breached or stale) since {since:%Y-%m-%d %H:%M} UTC",
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


# The decision is the trust loop's hot path (bench/decision.py): one read and one write, both written out as SQL,
# which spares the ORM's compilation (a few hundred microseconds a query) and round trips, but not the permission
# checks, made on the objects they return with the one mechanism (``can_view`` / ``require``), as the
# authorization matrix checks cell by cell.
_AGENT = Columns(Agent, "a", ["id", "organization", "name", "slug", "consequence_level"])
_REPUTATION = Columns(
    Reputation, "r", ["agent", "score", "lower_bound", "tier", "tier_since", "algorithm", "log_size", "computed_at"]
)
_POLICY = Columns(AccessPolicy, "p", ["id", "organization", "name", "revision", "archived_at"])
_REVISION = Columns(PolicyRevision, "pr", ["id", "policy", "number", "rules"])
STANDING_FIELDS = ("id", "agent", "pact", "clause_id", "status", "disputed", "freshest_at", "rests_on_restricted")
_VERDICT = Columns(Verdict, "v", STANDING_FIELDS)
# One row per current verdict under a pact in force (one row with no verdict when there is none), each with the
# agent, its reputation, the policy with its revision in force (NULL when there is no such policy) and the open
# disputes the ``open_disputes_sql`` providers count; for a receipt, the log's latest checkpoint too. A decision
# asked with a bearer token reads the token in the same statement (``decision_prepare_for_token``): the token's
# lookup columns first, crossed with these rows.
_DECISION_READ = (
    f"SELECT {_AGENT.sql}, {_REPUTATION.sql}, {_POLICY.sql}, {_REVISION.sql}, {_VERDICT.sql}, {{extra}} "  # noqa: S608
    f"FROM {Agent._meta.db_table} a "
    f"LEFT JOIN {Reputation._meta.db_table} r ON r.agent_id = a.id "
    f"LEFT JOIN {AccessPolicy._meta.db_table} p ON p.id = %s "
    f"LEFT JOIN {PolicyRevision._meta.db_table} pr ON pr.policy_id = p.id AND pr.number = p.revision "
    f"LEFT JOIN (SELECT cv.* FROM {Verdict._meta.db_table} cv JOIN {PactVersion._meta.db_table} pv "
    "ON pv.id = cv.pact_version_id WHERE cv.is_current AND pv.status <> 'retired') v ON v.agent_id = a.id "
    "{checkpoint_join}WHERE a.slug = %s"
)


def _open_disputes_expression() -> str:
    return " + ".join(f"({provider()})" for provider in open_disputes_sql) or "0"


@functools.cache
def _decision_read_query(
    with_checkpoint: bool, open_disputes_expression: str, with_token: bool = False
) -> PreparedQuery:
    sql = _DECISION_READ.format(
        extra=f"{open_disputes_expression} AS open_disputes" + (", ck.note, ck.key_name" if with_checkpoint else ""),
        checkpoint_join=f"LEFT JOIN ({LATEST_CHECKPOINT_SQL}) ck ON 1 = 1 " if with_checkpoint else "",
    )
    types = ["bigint", "varchar"]
    if with_token:
        sql = f"SELECT * FROM ({token_reading_sql(lean=True)[0]}) tok CROSS JOIN ({sql}) d"  # noqa: S608  (no input in it)
        types = [*token_reading_types(), *types]
    return PreparedQuery(sql, types)  # cached by its inputs: a provider registered later makes another statement


def _open_disputes_by_sql(agent_id: int) -> int:
    """What the ``open_disputes_sql`` providers count for one agent (the preview's way; a decision reads it along)."""
    if not open_disputes_sql:
        return 0
    with connection.cursor() as cursor:
        sql = f"SELECT {_open_disputes_expression()} FROM {Agent._meta.db_table} a WHERE a.id = %s"  # noqa: S608
        cursor.execute(sql, [agent_id])
        return int(cursor.fetchone()[0])


_AGENT_SQL = f"SELECT {_AGENT.sql}, {_REPUTATION.sql} FROM {Agent._meta.db_table} a "  # noqa: S608
_AGENT_SQL += f"LEFT JOIN {Reputation._meta.db_table} r ON r.agent_id = a.id WHERE a.slug = %s"
_DECISION_FIELDS: list[Field[Any, Any]] = [field for field in Decision._meta.concrete_fields if not field.primary_key]
_DECISION_TABLE_COLUMNS = ", ".join(str(field.column) for field in _DECISION_FIELDS)
_MARKS = ", ".join(["%s"] * len(_DECISION_FIELDS))
_DECISION_INSERT_SQL = (
    f"INSERT INTO {Decision._meta.db_table} ({_DECISION_TABLE_COLUMNS}) VALUES ({_MARKS}) RETURNING id"  # noqa: S608
)
# PostgreSQL: the same, with ``synchronous_commit`` off for its own transaction (see ``decision_log``).
_DECISION_INSERT_ASYNCHRONOUS_SQL = (
    f"INSERT INTO {Decision._meta.db_table} ({_DECISION_TABLE_COLUMNS}) SELECT {_MARKS} "  # noqa: S608  (model names)
    "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS flush RETURNING id"
)


def _agent_with_reputation(
    row: Any, *, user: Any, slug: str, now: datetime, start: int = 0, wrapper: Any = None
) -> Agent:
    agent: Agent = _AGENT.read(row, start, wrapper)
    if not can_view(user, agent):
        raise NotFound(f"No agent {slug!r}.")
    start += _AGENT.width
    if row[start] is None:  # never scored yet
        reputation = Reputation(agent=agent, algorithm=ALGORITHM, computed_at=now)
    else:
        reputation = _REPUTATION.read(row, start, wrapper)
    Agent.reputation.related.set_cached_value(agent, reputation)  # type: ignore[attr-defined]
    Reputation.agent.field.set_cached_value(reputation, agent)
    return agent


def decision_agent(*, user: Any, slug: str) -> Agent:
    """The agent with its reputation, in one query; 404 when the user may not see it."""
    with connection.cursor() as cursor:
        cursor.execute(_AGENT_SQL, [slug])
        row = cursor.fetchone()
    if row is None:
        raise NotFound(f"No agent {slug!r}.")
    return _agent_with_reputation(row, user=user, slug=slug, now=timezone.now())


_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = [first + second for first in _CROCKFORD for second in _CROCKFORD]  # 10 bits a pair: 13 pairs, not 26


def new_decision_id() -> str:
    """``dec_`` + a ULID (48-bit milliseconds, 80 random bits, Crockford base32): unique and time-ordered."""
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "dec_" + "".join([_PAIRS[(value >> shift) & 1023] for shift in range(120, -1, -10)])


@dataclass(frozen=True)
class Decided:
    """A decision and what it rests on; ``checkpoint``: the log's latest, read with it for a receipt."""

    decision: Decision
    evaluated: Evaluated
    checkpoint: Checkpoint | None = None


def decision_prepare(
    *, user: User, slug: str, policy_id: int, now: datetime | None = None, with_checkpoint: bool = False
) -> Decided:
    """Answer allow/deny for the agent under the policy's revision in force, not yet logged (``decision_log``):
    404 for an agent or a policy the user may not see, 403 if they may not decide under it, 409 once it is
    archived. One query: the agent, its reputation, the policy, its revision, the current verdicts (and, with
    ``with_checkpoint``, the log's latest checkpoint)."""
    now = now or timezone.now()
    rows = _decision_read_query(with_checkpoint, _open_disputes_expression()).fetchall([policy_id, slug])
    if not rows:
        raise NotFound(f"No agent {slug!r}.")
    return _decided(rows, 0, user=user, slug=slug, policy_id=policy_id, now=now, with_checkpoint=with_checkpoint)


def decision_prepare_for_token(
    *, plaintext: str, slug: str, policy_id: int, now: datetime, with_checkpoint: bool = False
) -> tuple[ApiToken, Decided] | None:
    """``decision_prepare`` for the caller a bearer token names, read in the same statement as the decision's rows
    (``accounts.services.token_reading_sql``): the token (marked used) and the answer; None when there is no such
    active token or no such agent, which the caller finds out the usual way (authentication, then
    ``decision_prepare``). Refusals are raised as ``decision_prepare`` raises them."""
    parameters = token_parameters(plaintext, now)
    if parameters is None:
        return None
    query = _decision_read_query(with_checkpoint, _open_disputes_expression(), with_token=True)
    rows = query.fetchall([*parameters, policy_id, slug])
    if not rows:
        return None
    token = token_from_rows(rows, now, lean=True)  # what the permission checks read of the caller, no more
    user = token_caller(token)
    start = token_reading_sql(lean=True)[1]
    decided = _decided(rows, start, user=user, slug=slug, policy_id=policy_id, now=now, with_checkpoint=with_checkpoint)
    return token, decided


def _decided(
    rows: list[tuple[Any, ...]],
    start: int,
    *,
    user: User,
    slug: str,
    policy_id: int,
    now: datetime,
    with_checkpoint: bool,
) -> Decided:
    """The decision from the read's rows, whose decision columns start at ``row[start]``; the permission checks."""
    first = rows[0]
    wrapper = connections[DEFAULT_DB_ALIAS]
    agent = _agent_with_reputation(first, user=user, slug=slug, now=now, start=start, wrapper=wrapper)
    start += _AGENT.width + _REPUTATION.width
    policy: AccessPolicy | None = _POLICY.read(first, start, wrapper) if first[start] is not None else None
    if policy is None or not can_view(user, policy):
        raise NotFound(f"No policy {policy_id}.", field="policy")
    require(user, "reputation.decide", policy, seen=True)
    if policy.archived_at is not None:
        raise PolicyArchived(
            f"Policy {policy.pk} was archived on {policy.archived_at:%Y-%m-%d}: it decides no more.", field="policy"
        )
    start += _POLICY.width
    revision: PolicyRevision = _REVISION.read(first, start, wrapper)
    PolicyRevision.policy.field.set_cached_value(revision, policy)
    start += _REVISION.width
    verdict_rows = {row[start]: row for row in rows if row[start] is not None}  # a scoped token repeats them
    current = [_VERDICT.read(verdict_rows[key], start, wrapper) for key in sorted(verdict_rows)]
    reputation, verdicts = agent.reputation, shown(current, user=user, agent=agent)  # type: ignore[attr-defined]
    evaluated = decision_evaluate(
        rules=revision.rules,
        agent=agent,
        reputation=reputation,
        verdicts=verdicts,
        now=now,
        open_disputes_counted=int(first[start + _VERDICT.width]),
    )
    decision = unsaved(
        Decision,
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
    checkpoint = None
    if with_checkpoint and first[-2] is not None:
        checkpoint = Checkpoint(note=first[-2], key_name=first[-1])
    return Decided(decision=decision, evaluated=evaluated, checkpoint=checkpoint)


def decide(
    *, user: User, slug: str, policy_id: int, now: datetime | None = None, with_checkpoint: bool = False
) -> Decided:
    """``decision_prepare``, then ``decision_log``: the answer, logged."""
    decided = decision_prepare(user=user, slug=slug, policy_id=policy_id, now=now, with_checkpoint=with_checkpoint)
    decision_log(decided.decision)
    return decided


_AS_IS: dict[type[Field[Any, Any]], tuple[type, ...]] = {  # values passed through when of these types
    models.CharField: (str,),
    models.ForeignKey: (int, type(None)),
    models.DateTimeField: (datetime,),
}
_DECISION_PREPARED = [
    (field, isinstance(field, models.JSONField), _AS_IS.get(type(field), ())) for field in _DECISION_FIELDS
]


@functools.cache
def _decision_insert() -> PreparedQuery:
    """PostgreSQL's ``INSERT`` of a logged decision, prepared (planning it cost as much as running it)."""
    types = [str(field.db_type(connections[DEFAULT_DB_ALIAS])) for field in _DECISION_FIELDS]
    return PreparedQuery(_DECISION_INSERT_ASYNCHRONOUS_SQL, types)


def decision_log(decision: Decision) -> None:
    """Append the decision to the log in one statement (``decision.pk`` is set).

    On PostgreSQL the row commits without waiting for its WAL flush (``synchronous_commit`` off for that
    transaction only, set inside the statement: outside a transaction the statement is its own): a database crash
    may lose the last fraction of a second of logged decisions, never corrupt them, and nothing else is written
    there. Every decision's inputs are kept in the row, so a lost one is reproducible; the flush it no longer
    waits for was most of a decision's time (bench/decision.py)."""
    wrapper = connections[DEFAULT_DB_ALIAS]
    if wrapper.vendor == "postgresql":
        # The JSON columns as text (cast to jsonb by the statement), encoded by orjson: a few times faster; the
        # others as they are when they already have their column's Python type (aware times, as the code makes
        # them), else as the field prepares them.
        state = decision.__dict__
        values = []
        for field, is_json, kinds in _DECISION_PREPARED:
            value = state[field.attname]
            if is_json:
                values.append(orjson.dumps(value).decode())
            elif type(value) in kinds and (type(value) is not datetime or value.tzinfo is not None):
                values.append(value)
            else:
                values.append(field.get_db_prep_save(value, wrapper))
        decision.pk = _decision_insert().fetchall(values)[0][0]
    else:
        values = [field.get_db_prep_save(getattr(decision, field.attname), wrapper) for field in _DECISION_FIELDS]
        with wrapper.cursor() as cursor:
            cursor.execute(_DECISION_INSERT_SQL, values)
            decision.pk = cursor.fetchone()[0]
    decision._state.adding = False
    decision._state.db = wrapper.alias


PREVIEW_LIMIT = 100


def preview(*, user: Any, rules: dict[str, Any], now: datetime | None = None) -> list[tuple[Agent, Evaluated]]:
    """Which agents the rules would allow today, without logging anything (the policy page's live preview):
    every agent with a pact in force, at most ``PREVIEW_LIMIT``, in a constant number of queries per agent."""
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
