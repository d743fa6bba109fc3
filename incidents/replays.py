"""Replays as jobs: request one (``replay_request``), run it (``replay_run``, the ``incidents.run_replay`` task),
read it (``replay_get``), and the differences in words.

``replay_request`` checks who may (``incidents.replay``: the agent's vendor's members, buyer members, staff), that
the version or policy is one the requester may see (a draft: its vendor's members; a policy: its organization's),
writes a queued ``Replay`` and queues the task on commit (eager in the embedded default: done when the request
returns). The task claims it with a conditional UPDATE (queued → running), writes ``progress`` as it goes and ends
it done (timeline and differences) or failed (the error kept).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.permissions import can_view, require
from accounts.rules import acts_as_staff
from evidence.selectors import can_see_restricted
from incidents import replay as engine
from incidents.errors import ReplayInvalid
from incidents.models import Replay
from pacts.models import Agent, Pact, PactVersion
from pacts.selectors import agent_get
from reputation.models import AccessPolicy, Decision, TierChange
from trust_portal.errors import NotFound
from trustcore.score import rank
from verdicts.models import Verdict

log = logging.getLogger(__name__)
MAX_DIFFERENCES = 200
KNOWLEDGE = (engine.RECEIVED, engine.OBSERVED)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def replay_request(
    *,
    user: Any,
    agent: Agent,
    pact_version: int | None = None,
    pact: int | None = None,
    policy: int | None = None,
    knowledge: str | None = None,
) -> Replay:
    """A queued replay of ``agent`` under version ``pact_version`` of its pact (``pact`` when it has several) or
    under ``policy``; the task is queued on commit."""
    require(user, "incidents.replay", agent)
    if (pact_version is None) == (policy is None):
        raise ReplayInvalid("pact_version", "Give either pact_version or policy.")
    if knowledge is not None and knowledge not in KNOWLEDGE:
        raise ReplayInvalid("knowledge", "knowledge is received or observed.")
    pacts = list(Pact.objects.restrict(user, "view").filter(agent=agent).order_by("pk"))
    if pact is not None:
        chosen = next((p for p in pacts if p.pk == pact), None)
        if chosen is None:
            raise ReplayInvalid("pact", f"{agent.slug} has no pact {pact} you may see.")
    elif len(pacts) == 1:
        chosen = pacts[0]
    elif not pacts:
        raise ReplayInvalid("pact", f"{agent.slug} has no pact to replay.")
    else:
        raise ReplayInvalid("pact", f"{agent.slug} has several pacts: name one (pact).")
    params: dict[str, Any] = {"pact": chosen.pk}
    if pact_version is not None:
        version = PactVersion.objects.filter(pact=chosen, number=pact_version).first()
        if version is None or not can_view(user, version):
            raise ReplayInvalid("pact_version", f"Pact {chosen.pk} has no version {pact_version} you may see.")
        params["pact_version"] = version.number
        params["pact_version_id"] = version.pk
    else:
        found = AccessPolicy.objects.restrict(user, "view").filter(pk=policy or 0).first()
        if found is None:
            raise ReplayInvalid("policy", f"No policy {policy} you may see.")
        params["policy"] = found.pk
        params["policy_revision"] = found.revision
    if knowledge:
        params["knowledge"] = knowledge
    from incidents.tasks import run_replay

    with transaction.atomic():
        created = Replay.objects.create(requester=user, agent=agent, params=params)
        run_replay.delay_on_commit(created.pk)
    return created


def replay_get(*, user: Any, replay_id: int) -> Replay:
    found = Replay.objects.restrict(user, "view").select_related("agent").filter(pk=replay_id).first()
    if found is None:
        raise NotFound(f"No replay {replay_id}.")
    return found


def replays_of(*, user: Any, agent: Agent, limit: int = 10) -> list[Replay]:
    return list(Replay.objects.restrict(user, "view").filter(agent=agent).order_by("-created_at", "-id")[:limit])


def replay_run(*, replay_id: int, now: datetime | None = None) -> str:
    """Claim the replay (queued → running), run it, store the result (→ done) or the error (→ failed)."""
    now = now or timezone.now()
    claimed = Replay.objects.filter(pk=replay_id, status=Replay.Status.QUEUED).update(
        status=Replay.Status.RUNNING, started_at=timezone.now(), progress=0.0
    )
    if not claimed:
        return "not queued"
    job = Replay.objects.select_related("agent").get(pk=replay_id)

    def progress(share: float) -> None:
        Replay.objects.filter(pk=replay_id, status=Replay.Status.RUNNING).update(progress=round(min(share, 1.0), 3))

    try:
        timeline, differences = replay_compute(
            job.agent, job.params, until=now, progress=progress, requester=job.requester
        )
    except Exception as error:  # kept on the job; the requester sees what went wrong
        log.exception("replay %s failed", replay_id)
        Replay.objects.filter(pk=replay_id, status=Replay.Status.RUNNING).update(
            status=Replay.Status.FAILED, error=f"{type(error).__name__}: {error}"[:2000], finished_at=timezone.now()
        )
        return "failed"
    Replay.objects.filter(pk=replay_id, status=Replay.Status.RUNNING).update(
        status=Replay.Status.DONE,
        progress=1.0,
        timeline=timeline,
        differences=differences,
        finished_at=timezone.now(),
    )
    return "done"


def replay_compute(
    agent: Agent, params: dict[str, Any], *, until: datetime, progress: Any = None, requester: Any = None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The replayed and actual timelines (JSON) and their differences in words, as ``requester`` may see them
    (None: everything): a requester who may not see the agent's restricted evidence gets nothing derived from it."""
    pact = Pact.objects.get(pk=params["pact"], agent=agent)
    version = PactVersion.objects.get(pk=params["pact_version_id"]) if "pact_version_id" in params else None
    policy = AccessPolicy.objects.get(pk=params["policy"]) if "policy" in params else None
    rules = None
    if policy is not None:
        revision = policy.revisions.filter(number=params.get("policy_revision", policy.revision)).first()
        rules = dict(revision.rules if revision is not None else {})
    result = engine.replay(
        agent=agent,
        pact=pact,
        version=version,
        policy_rules=rules,
        knowledge=params.get("knowledge"),
        until=until,
        progress=progress,
        sees_restricted=requester is None or can_see_restricted(user=requester, agent=agent),
    )
    replayed = timeline_of(result.rows, result.tiers, result.decisions, policy.pk if policy else None)
    actual_verdicts = list(
        Verdict.objects.filter(pact=pact, computed_at__lte=until)
        .order_by("computed_at", "id")
        .values_list("computed_at", "clause_id", "status")
    )
    actual_tiers = list(
        TierChange.objects.filter(agent=agent, at__lte=until).order_by("at", "id").values_list("at", "new", "reason")
    )
    actual_decisions: list[tuple[datetime, str, list[str]]] = []
    if policy is not None:
        for at, answer, reasons in (
            Decision.objects.filter(policy=policy, agent=agent, at__lte=until)
            .order_by("at", "id")
            .values_list("at", "result", "reasons")
        ):
            if not actual_decisions or actual_decisions[-1][1] != answer:
                actual_decisions.append((at, answer, list(reasons or [])))
    actual = _collapse_verdicts(actual_verdicts)
    actual_timeline: list[dict[str, Any]] = [
        *({"at": _iso(at), "kind": "verdict", "clause": clause, "value": status} for at, clause, status in actual),
        *(
            {"at": _iso(at), "kind": "tier", "clause": None, "value": tier, "reason": why}
            for at, tier, why in actual_tiers
        ),
        *(
            {
                "at": _iso(at),
                "kind": "decision",
                "clause": None,
                "value": answer,
                "policy": policy.pk if policy else None,
            }
            for at, answer, _ in actual_decisions
        ),
    ]
    actual_timeline.sort(key=lambda e: (e["at"], e["kind"]))
    replayed_verdicts = _collapse_verdicts([(r.at, r.clause_id, r.status) for r in result.rows])
    differences = [
        *verdict_differences(actual, replayed_verdicts, until),
        *tier_differences([(at, tier) for at, tier, _ in actual_tiers], [(at, t) for at, t, _ in result.tiers], until),
        *decision_differences(actual_decisions, result.decisions, policy.pk if policy else None, until),
    ]
    differences.sort(key=lambda d: d["at"])
    first = min((e["at"] for e in [*replayed, *actual_timeline]), default=None)
    return (
        {
            "replayed": replayed,
            "actual": actual_timeline,
            "moments": result.moments,
            "knowledge": result.knowledge,
            "from": first,
            "to": _iso(until),
            "pact": pact.pk,
            "pact_version": version.number if version is not None else None,
            "policy": policy.pk if policy else None,
        },
        differences[:MAX_DIFFERENCES],
    )


def timeline_of(
    rows: Sequence[engine.Row],
    tiers: Sequence[tuple[datetime, str, str]],
    decisions: Sequence[tuple[datetime, str, list[str]]],
    policy: int | None,
) -> list[dict[str, Any]]:
    """The replayed timeline: status changes per clause, tier changes, decision changes (statuses only: never a
    measured value, which may rest on restricted evidence)."""
    events: list[dict[str, Any]] = [
        {"at": _iso(at), "kind": "verdict", "clause": clause, "value": status}
        for at, clause, status in _collapse_verdicts([(r.at, r.clause_id, r.status) for r in rows])
    ]
    events += [
        {"at": _iso(at), "kind": "tier", "clause": None, "value": tier, "reason": why} for at, tier, why in tiers
    ]
    events += [
        {"at": _iso(at), "kind": "decision", "clause": None, "value": answer, "policy": policy, "reasons": reasons}
        for at, answer, reasons in decisions
    ]
    return sorted(events, key=lambda e: (e["at"], e["kind"]))


def _collapse_verdicts(rows: Iterable[tuple[datetime, str, str]]) -> list[tuple[datetime, str, str]]:
    """Status changes only: a row repeating its clause's status (a new value, the same status) is left out."""
    last: dict[str, str] = {}
    found = []
    for at, clause, status in rows:
        if last.get(clause) != status:
            found.append((at, clause, status))
            last[clause] = status
    return found


# --- differences in words --------------------------------------------------------------------------------------


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b} {moment.year}"


def _gap(later: datetime, earlier: datetime) -> str:
    seconds = (later - earlier).total_seconds()
    if seconds >= 86400:
        days = round(seconds / 86400)
        return f"{days} day{'s' if days != 1 else ''}"
    hours = max(round(seconds / 3600), 1)
    return f"{hours} hour{'s' if hours != 1 else ''}"


def _spans(
    actual: Sequence[tuple[datetime, str]], replayed: Sequence[tuple[datetime, str]], until: datetime
) -> list[tuple[datetime, datetime, str | None, str | None]]:
    """The spans in which two step functions differ: ``(start, end, actual value, replayed value)``."""
    points = sorted({at for at, _ in actual} | {at for at, _ in replayed})
    found: list[tuple[datetime, datetime, str | None, str | None]] = []

    def value_at(steps: Sequence[tuple[datetime, str]], moment: datetime) -> str | None:
        value = None
        for at, v in steps:
            if at > moment:
                break
            value = v
        return value

    for index, at in enumerate(points):
        end = points[index + 1] if index + 1 < len(points) else until
        a, r = value_at(actual, at), value_at(replayed, at)
        if a == r:
            continue
        if found and found[-1][1] == at and found[-1][2] == a and found[-1][3] == r:
            found[-1] = (found[-1][0], end, a, r)
        else:
            found.append((at, end, a, r))
    return found


def _first_after(steps: Sequence[tuple[datetime, str]], moment: datetime, test: Any) -> datetime | None:
    return next((at for at, value in steps if at >= moment and test(value)), None)


def tier_differences(
    actual: Sequence[tuple[datetime, str]], replayed: Sequence[tuple[datetime, str]], until: datetime
) -> list[dict[str, Any]]:
    found = []
    for start, _end, a, r in _spans(actual, replayed, until):
        if r is None or a is None:
            continue
        if rank(r) < rank(a):
            later = _first_after(actual, start, lambda value, r=r: rank(value) <= rank(r))
            what = f"would have been downgraded to {r} on {_day(start)}" + (
                f", {_gap(later, start)} earlier" if later else f"; it stayed {a}"
            )
        else:
            later = _first_after(actual, start, lambda value, r=r: rank(value) >= rank(r))
            what = f"would have been {r} on {_day(start)} (it was {a})" + (
                f", {_gap(later, start)} before it actually was" if later else ""
            )
        found.append({"at": _iso(start), "kind": "tier", "clause": None, "actual": a, "replayed": r, "what": what})
    return found


def verdict_differences(
    actual: Sequence[tuple[datetime, str, str]], replayed: Sequence[tuple[datetime, str, str]], until: datetime
) -> list[dict[str, Any]]:
    found = []
    for clause in sorted({c for _, c, _ in actual} | {c for _, c, _ in replayed}):
        steps_a = [(at, status) for at, c, status in actual if c == clause]
        steps_r = [(at, status) for at, c, status in replayed if c == clause]
        for start, _end, a, r in _spans(steps_a, steps_r, until):
            label = (r or "absent").replace("_", " ")
            later = _first_after(steps_a, start, lambda value, r=r: value == r) if r else None
            what = f"{clause} would have been {label} on {_day(start)}" + (
                f", {_gap(later, start)} earlier" if later else f" (it was {(a or 'absent').replace('_', ' ')})"
            )
            found.append(
                {"at": _iso(start), "kind": "verdict", "clause": clause, "actual": a, "replayed": r, "what": what}
            )
    return found


def decision_differences(
    actual: Sequence[tuple[datetime, str, list[str]]],
    replayed: Sequence[tuple[datetime, str, list[str]]],
    policy: int | None,
    until: datetime,
) -> list[dict[str, Any]]:
    if policy is None:
        return []
    reasons = {at: why for at, _, why in replayed}
    found = []
    for start, _end, a, r in _spans([(at, v) for at, v, _ in actual], [(at, v) for at, v, _ in replayed], until):
        if r is None:
            continue
        why = next((reasons[at] for at in sorted(reasons, reverse=True) if at <= start), [])
        because = f" ({why[0]})" if why and r == "deny" else ""
        if a is None:
            what = f"policy {policy} would have answered {r} on {_day(start)}{because}; it was not asked then"
        else:
            later = _first_after([(at, v) for at, v, _ in actual], start, lambda value, r=r: value == r)
            what = f"policy {policy} would have answered {r} on {_day(start)}{because}" + (
                f", {_gap(later, start)} earlier" if later else f"; it answered {a}"
            )
        found.append({"at": _iso(start), "kind": "decision", "clause": None, "actual": a, "replayed": r, "what": what})
    return found


def visible_replays(user: Any) -> Q:
    """Scope of ``Replay``: its requester's, and staff's."""
    if acts_as_staff(user):
        return Q()
    if not getattr(user, "is_authenticated", False):
        return Q(pk__in=[])
    return Q(requester_id=user.pk)


def agent_for(*, user: Any, slug: str) -> Agent:
    return agent_get(user=user, slug=slug)
