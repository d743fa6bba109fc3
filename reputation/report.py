"""Diligence reports (``diligence-report/1``): one agent or a comparison, as the requester may see it, signed.

A report states when it was produced, for whom (the requester's organization), each agent's tier, score and bound,
its clause table (verdicts as ``verdicts.selectors.shown`` lets the requester see them), the public rulings about it
(``reputation.report_hooks.rulings``, filled by disputes), the transparency log's checkpoint, the SHA-256 of the
evidence bundle built for the same requester at the same moment, what was withheld from it, and a receipt::

    format "diligence-report/1", produced_at, requester {user, organization {slug, name, kind} | null, role}
    agents [{agent, name, vendor {slug, name}, consequence_level, tier, tier_reason, tier_since, pending_tier,
             score, lower_bound, computed_at, algorithm, log_size, scope,
             clauses [{pact, pact_title, version, clause_id, title, metric, severity, comparator, threshold, unit,
                       window_days, status, disputed, measured, samples, computed_at, verdict, withheld}],
             rulings [{id, dispute, clause_id, metric, stage, outcome, rationale, redacted, consequences, …}],
             bundle {format, sha256, as_of, generated_at, records, pending_records, not_recomputable, url
                     [, document: the bundle itself, with ?bundle=1]}}]
    comparison                      a comparison only: reputation.compare's body for the same agents, when present
    log {origin, key_name, key_id, size, checkpoint}          the signed note every bundle was built under
    withheld [{agent, kind, what, clause_id | ruling}]         restricted evidence named, never shown
    receipt                         DSSE, payloadType application/vnd.trust-portal.report+json, by the log key,
                                    over the RFC 8785 bytes of everything above (trustcore.verify.report_payload)

``bundle.sha256`` is ``trustcore.verify.bundle_sha256``: SHA-256 of the bundle's RFC 8785 bytes. A bundle carries
its own ``generated_at``, so the hash names the bundle built for this report: ask for it inside the report with
``?bundle=1`` (the JSON export), or pass the one you hold to ``trust-verify report --bundle``.

Withheld evidence is named, never measured: a clause whose verdict rests on restricted evidence the requester may
not see says so (its value, samples and record counts withheld, as on the clause board), the bundle cannot
recompute it, and a ruling whose dispute holds confidential submissions has its rationale withheld. No count of
restricted records is given (a count is itself withheld from outsiders).

Building a report signs no checkpoint and writes nothing (reads never write); ``bundle_build`` raises
``LogPending`` (503) before the log's first checkpoint.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.utils import timezone
from rest_framework.renderers import JSONRenderer

from accounts.roles import role_of
from accounts.rules import membership_of, token_scope_of
from pacts.models import Agent
from pacts.selectors import agent_get
from reputation import report_hooks
from reputation.selectors import reputation_of
from transparency import log as tlog
from trust_portal.errors import InvalidQuery
from trustcore import dsse, notes
from trustcore.canonical import iso
from trustcore.verify import REPORT_FORMAT, REPORT_PAYLOAD_TYPE, REPORT_RECEIPT_FIELD, bundle_sha256, report_payload
from verdicts.bundle import bundle_build
from verdicts.selectors import verdict_board

MAX_AGENTS = 4  # as the compare API (reputation.compare)
RULINGS_PER_AGENT = 50
Progress = Callable[[int, str], None]


def json_ready(value: Any) -> Any:
    """Datetimes, decimals and lazy strings as the API writes them, so the receipt signs what is served."""
    return json.loads(JSONRenderer().render(value))


def report_slugs(raw: str | None, *, field: str = "agents") -> list[str]:
    """``agents=a,b`` of a comparison: 1–10 distinct slugs, else a 400 naming ``field``."""
    if raw is None or not raw.strip():
        raise InvalidQuery(f"{field} is required: a comma-separated list of agent slugs.", field=field)
    slugs = [s.strip() for s in raw.split(",")]
    if any(not s or len(s) > 50 or not all(c.isascii() and (c.isalnum() or c in "-_") for c in s) for s in slugs):
        raise InvalidQuery(f"{field} must be agent slugs separated by commas (letters, digits, - and _).", field=field)
    if len(set(slugs)) != len(slugs):
        raise InvalidQuery(f"{field} names an agent twice.", field=field)
    if len(slugs) > MAX_AGENTS:
        raise InvalidQuery(f"{field} names at most {MAX_AGENTS} agents.", field=field)
    return slugs


def _requester(user: Any) -> dict[str, Any]:
    membership = membership_of(user)
    organization = membership.organization if membership else None
    return {
        "user": user.get_username() if getattr(user, "is_authenticated", False) else None,
        "organization": {
            "slug": organization.slug,
            "name": organization.name,
            "kind": "vendor" if organization.is_vendor else "buyer",
        }
        if organization
        else None,
        "role": "agent-scoped token" if token_scope_of(user) is not None else str(role_of(user)),
    }


def _clauses(*, user: Any, agent: Agent) -> list[dict[str, Any]]:
    rows = []
    for status in verdict_board(agent=agent, user=user):
        verdict, clause, pact = status.verdict, status.clause, status.pact
        rows.append(
            {
                "pact": pact.pk,
                "pact_title": pact.title,
                "version": verdict.pact_version.number,
                "clause_id": verdict.clause_id,
                "title": clause.title if clause else "",
                "metric": clause.metric if clause else "",
                "severity": clause.severity if clause else "",
                "comparator": verdict.comparator,
                "threshold": verdict.threshold,
                "unit": clause.unit if clause else "",
                "window_days": clause.window_days if clause else None,
                "status": verdict.status,
                "disputed": verdict.disputed,
                "measured": verdict.measured,
                "samples": verdict.samples,
                "computed_at": verdict.computed_at,
                "verdict": verdict.pk,
                "withheld": bool(getattr(verdict, "withheld", False)),
            }
        )
    return rows


def _rulings(*, user: Any, agent: Agent) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for provider in report_hooks.rulings:
        found.extend(provider(user=user, agent=agent))
    return found[:RULINGS_PER_AGENT]


def _withheld(entry: dict[str, Any]) -> list[dict[str, Any]]:
    slug = entry["agent"]
    out: list[dict[str, Any]] = []
    for clause in entry["clauses"]:
        if clause["withheld"]:
            out.append(
                {
                    "agent": slug,
                    "kind": "verdict_values",
                    "clause_id": clause["clause_id"],
                    "what": f"the measured value, samples, record counts and freshness of clause "
                    f"{clause['clause_id']}: it rests on restricted evidence you may not see",
                }
            )
    for clause_id in entry["bundle"]["not_recomputable"]:
        out.append(
            {
                "agent": slug,
                "kind": "restricted_records",
                "clause_id": clause_id,
                "what": f"the restricted evidence records behind clause {clause_id}: left out of the bundle, "
                "which cannot recompute that clause in your scope",
            }
        )
    for ruling in entry["rulings"]:
        if ruling.get("redacted"):
            out.append(
                {
                    "agent": slug,
                    "kind": "ruling_rationale",
                    "ruling": ruling.get("id"),
                    "what": f"the rationale of ruling #{ruling.get('id')}: its dispute holds confidential submissions",
                }
            )
    return out


def report_build(
    *,
    user: Any,
    slugs: list[str],
    now: datetime | None = None,
    embed_bundles: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The signed report of ``slugs`` (one agent, or a comparison) as ``user`` may see it.

    An agent the user may not see is a 404 (``agent_get``), before anything else is read. ``progress(percent,
    step)`` hears how far it got (the render task shows it)."""
    now = now or timezone.now()
    say = progress or (lambda percent, step: None)
    agents = [agent_get(user=user, slug=slug) for slug in slugs]
    entries: list[dict[str, Any]] = []
    log: dict[str, Any] | None = None
    for position, agent in enumerate(agents):
        share = 70 * position // len(agents)
        say(10 + share, f"Building the evidence bundle of {agent.name}")
        bundle = bundle_build(user=user, agent=agent, now=now)
        if log is None:
            log = {**bundle["log"], "size": notes.parse_checkpoint(bundle["log"]["checkpoint"]).size}
        say(10 + share + 35 // len(agents), f"Collecting the score, verdicts and rulings of {agent.name}")
        reputation = reputation_of(user=user, agent=agent)
        entry: dict[str, Any] = {
            "agent": agent.slug,
            "name": agent.name,
            "vendor": {"slug": agent.organization.slug, "name": agent.organization.name},
            "consequence_level": agent.consequence_level,
            "tier": reputation.tier,
            "tier_reason": reputation.tier_reason,
            "tier_since": reputation.tier_since,
            "pending_tier": reputation.pending_tier,
            "score": reputation.score,
            "lower_bound": reputation.lower_bound,
            "computed_at": reputation.computed_at,
            "algorithm": reputation.algorithm,
            "log_size": reputation.log_size,
            "scope": bundle["scope"],
            "clauses": _clauses(user=user, agent=agent),
            "rulings": _rulings(user=user, agent=agent),
            "bundle": {
                "format": bundle["format"],
                "sha256": bundle_sha256(bundle),
                "as_of": bundle["as_of"],
                "generated_at": bundle["generated_at"],
                "records": len(bundle["records"]),
                "pending_records": bundle["pending_records"],
                "not_recomputable": [
                    v["clause_id"] for p in bundle["pacts"] for v in p["verdicts"] if v.get("recomputable") is False
                ],
                "url": f"/api/v1/agents/{agent.slug}/bundle/",
                **({"document": bundle} if embed_bundles else {}),
            },
        }
        entries.append(json_ready(entry))
    say(85, "Signing the report")
    report: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "produced_at": iso(now),
        "requester": _requester(user),
        "agents": entries,
        "log": log,
        "withheld": [item for entry in entries for item in _withheld(entry)],
    }
    if len(slugs) > 1:
        comparison = _comparison(user=user, slugs=slugs, now=now)
        if comparison is not None:
            report["comparison"] = json_ready(comparison)
    return report_sign(report)


def _comparison(*, user: Any, slugs: list[str], now: datetime) -> dict[str, Any] | None:
    """The compare API's body for the same agents (reputation.compare), when that module exists."""
    try:
        from reputation.compare import compare_agents  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    return compare_agents(user=user, slugs=slugs, now=now)  # type: ignore[no-any-return]


def report_sign(report: dict[str, Any]) -> dict[str, Any]:
    """The report with its receipt: a DSSE envelope by the log key over ``report_payload`` (signs no checkpoint)."""
    body = {k: v for k, v in report.items() if k != REPORT_RECEIPT_FIELD}
    key = tlog.signing_key()
    return {
        **body,
        REPORT_RECEIPT_FIELD: dsse.sign(report_payload(body), key.private, payload_type=REPORT_PAYLOAD_TYPE),
    }


def report_digest(report: dict[str, Any]) -> str:
    """What the PDF prints to tie it to its JSON twin: SHA-256 of the signed payload."""
    return hashlib.sha256(report_payload(report)).hexdigest()
