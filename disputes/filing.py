"""Filing a dispute: what it is about, who has standing, and the terms that set its clock.

Standing (a refusal says what standing is needed):

=================  =========================================================  ===================================
claimant           may dispute                                                respondent
=================  =========================================================  ===================================
engaged buyer      a verdict of the agent (breach not recorded, evidence       the agent's vendor
                   invalid, verdict wrong), a clause of the pact in force
                   (breach not recorded), a ledger entry owed to it
                   (consequence unhonoured)
the agent's vendor a verdict or an evidence record of its agent (verdict       the buyer it names (``respondent``),
                   wrong, evidence invalid), a ledger entry against it         or the only engaged one; a ledger
                                                                               entry's own buyer
=================  =========================================================  ===================================

"Engaged" means an engagement of the buyer with the agent that is active, or that ended after the subject's
moment (a verdict's computation, a ledger entry's creation). One open dispute per subject and claimant: a
second is a 409 pointing at the first (``dispute_one_open_per_subject_claimant`` makes it so under races too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization, User
from accounts.permissions import require
from accounts.rules import organization_id_of
from disputes import notify
from disputes.errors import DisputeInvalid, DuplicateDispute, NoStanding
from disputes.models import ClaimType, Dispute, DisputeEvent, Party, Status, SubjectType, Submission
from disputes.submissions import submission_create
from disputes.workflow import move, text
from evidence.models import EvidenceRecord
from pacts.models import Agent, Pact, PactClause, PactVersion
from pacts.selectors import version_in_force
from reputation.models import Engagement, LedgerEntry
from trust_portal.errors import NotFound
from verdicts.models import Verdict

DEFAULT_TERMS = {"response_days": 5, "review_days": 10, "appeal_days": 7}

# (side, subject type) → the claim types that side may make about it.
CLAIMS: dict[tuple[str, str], tuple[str, ...]] = {
    ("buyer", SubjectType.VERDICT): (
        ClaimType.BREACH_NOT_RECORDED,
        ClaimType.EVIDENCE_INVALID,
        ClaimType.VERDICT_WRONG,
        ClaimType.OTHER,
    ),
    ("buyer", SubjectType.CLAUSE): (ClaimType.BREACH_NOT_RECORDED, ClaimType.OTHER),
    ("buyer", SubjectType.LEDGER_ENTRY): (ClaimType.CONSEQUENCE_UNHONOURED, ClaimType.OTHER),
    ("vendor", SubjectType.VERDICT): (ClaimType.VERDICT_WRONG, ClaimType.EVIDENCE_INVALID, ClaimType.OTHER),
    ("vendor", SubjectType.EVIDENCE): (ClaimType.EVIDENCE_INVALID, ClaimType.OTHER),
    ("vendor", SubjectType.LEDGER_ENTRY): (ClaimType.VERDICT_WRONG, ClaimType.EVIDENCE_INVALID, ClaimType.OTHER),
}
STANDING_NEEDED = (
    "An engaged buyer may dispute a verdict, a clause of the pact in force or a ledger entry owed to it; the "
    "agent's vendor may dispute a verdict, an evidence record of its agent or a ledger entry against it."
)


@dataclass
class Subject:
    type: str
    key: str
    moment: datetime
    pact_version: PactVersion
    clause_id: str = ""
    metric: str = ""
    verdict: Verdict | None = None
    evidence: EvidenceRecord | None = None
    ledger_entry: LedgerEntry | None = None


def _id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise DisputeInvalid("subject.id", "Expected the subject's id.", "invalid_type")
    if isinstance(value, str) and not value.isdigit():
        raise DisputeInvalid("subject.id", "Expected a numeric id.", "invalid")
    number = int(value)
    if not 0 < number < 2**63:
        raise DisputeInvalid("subject.id", "Out of range.", "out_of_range")
    return number


def _clause_of(version: PactVersion, clause_id: str) -> PactClause | None:
    return PactClause.objects.filter(version=version, clause_id=clause_id).first()


def subject_resolve(*, user: User, agent: Agent, raw: Any) -> Subject:
    """The subject named by ``{"type", "id"}`` (``"pact"`` optional for a clause), as the user may see it."""
    if not isinstance(raw, dict):
        raise DisputeInvalid("subject", 'Expected {"type": …, "id": …}.', "invalid_type")
    kind = raw.get("type")
    if kind not in SubjectType.values:
        raise DisputeInvalid("subject.type", f"Expected one of {', '.join(SubjectType.values)}.", "invalid_choice")
    if kind == SubjectType.CLAUSE:
        clause_id = raw.get("id")
        if not isinstance(clause_id, str) or not clause_id or len(clause_id) > 63:
            raise DisputeInvalid("subject.id", "Expected the clause id (a string).", "invalid")
        pacts = Pact.objects.filter(agent=agent).order_by("pk")
        if raw.get("pact") is not None:
            pacts = pacts.filter(pk=_id(raw["pact"]))
        for pact in pacts:
            version = version_in_force(pact=pact)
            clause = _clause_of(version, clause_id) if version else None
            if version is not None and clause is not None:
                return Subject(kind, f"clause:{pact.pk}:{clause_id}", timezone.now(), version, clause_id, clause.metric)
        raise DisputeInvalid("subject.id", f"No clause {clause_id!r} in a pact of {agent.slug} in force.", "not_found")
    number = _id(raw.get("id"))
    if kind == SubjectType.VERDICT:
        verdict = Verdict.objects.filter(pk=number, agent=agent).select_related("pact_version").first()
        if verdict is None:
            raise DisputeInvalid("subject.id", f"No verdict {number} of {agent.slug}.", "not_found")
        clause = _clause_of(verdict.pact_version, verdict.clause_id)
        return Subject(
            kind,
            f"verdict:{number}",
            verdict.computed_at,
            verdict.pact_version,
            verdict.clause_id,
            clause.metric if clause else "",
            verdict=verdict,
        )
    if kind == SubjectType.EVIDENCE:
        record = EvidenceRecord.objects.restrict(user, "view").filter(pk=number, agent=agent).first()
        if record is None:
            raise DisputeInvalid("subject.id", f"No evidence record {number} of {agent.slug}.", "not_found")
        for pact in Pact.objects.filter(agent=agent).order_by("pk"):
            version = version_in_force(pact=pact)
            if version is None:
                continue
            clause = version.clauses.filter(metric=record.metric).first()
            if clause is not None:
                return Subject(
                    kind,
                    f"evidence:{number}",
                    record.received_at,
                    version,
                    clause.clause_id,
                    record.metric,
                    evidence=record,
                )
        version = _any_version(agent)
        return Subject(kind, f"evidence:{number}", record.received_at, version, "", record.metric, evidence=record)
    entry = (
        LedgerEntry.objects.restrict(user, "view")
        .filter(pk=number, agent=agent)
        .select_related("verdict__pact_version", "engagement__pact_version")
        .first()
    )
    if entry is None:
        raise DisputeInvalid("subject.id", f"No ledger entry {number} of {agent.slug}.", "not_found")
    version = entry.verdict.pact_version if entry.verdict else entry.engagement.pact_version
    clause = _clause_of(version, entry.clause_id)
    return Subject(
        kind,
        f"ledger_entry:{number}",
        entry.created_at,
        version,
        entry.clause_id,
        clause.metric if clause else "",
        verdict=entry.verdict,
        ledger_entry=entry,
    )


def _any_version(agent: Agent) -> PactVersion:
    for pact in Pact.objects.filter(agent=agent).order_by("pk"):
        version = version_in_force(pact=pact)
        if version is not None:
            return version
    raise DisputeInvalid("subject", f"{agent.slug} has no pact in force whose terms could govern a dispute.", "no_pact")


def _engaged(buyer_id: int, agent: Agent, moment: datetime) -> Q:
    return Q(buyer_id=buyer_id, agent=agent) & (Q(ended_at__isnull=True) | Q(ended_at__gte=moment))


def standing(*, user: User, agent: Agent, subject: Subject, claim_type: str, respondent: Any = None) -> Organization:
    """The respondent, if the user's organization may make this claim about this subject; else NoStanding."""
    org_id = organization_id_of(user)
    organization = Organization.objects.filter(pk=org_id).first() if org_id else None
    if organization is None:
        raise NoStanding(STANDING_NEEDED)
    side = organization.kind
    if side == Organization.Kind.VENDOR and agent.organization_id != organization.pk:
        raise NoStanding(f"Only the agent's own vendor may dispute as a vendor. {STANDING_NEEDED}")
    allowed = CLAIMS.get((side, subject.type))
    if allowed is None:
        raise NoStanding(f"A {side} may not dispute a {SubjectType(subject.type).label.lower()}. {STANDING_NEEDED}")
    if claim_type not in allowed:
        raise DisputeInvalid(
            "claim_type",
            f"A {side} disputing a {SubjectType(subject.type).label.lower()} claims one of: {', '.join(allowed)}.",
            "invalid_choice",
        )
    if side == Organization.Kind.BUYER:
        if not Engagement.objects.filter(_engaged(organization.pk, agent, subject.moment)).exists():
            raise NoStanding(
                f"Only a buyer engaging {agent.name} (an engagement active now, or when the subject was recorded) "
                "may dispute its record: engage the agent first."
            )
        if subject.ledger_entry is not None and subject.ledger_entry.buyer_id != organization.pk:
            raise NoStanding("A buyer may dispute only the ledger entries owed to it.")
        return agent.organization
    if subject.ledger_entry is not None:
        return subject.ledger_entry.buyer
    engaged = Organization.objects.filter(
        pk__in=Engagement.objects.filter(agent=agent)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gte=subject.moment))
        .values("buyer_id")
    )
    if respondent not in (None, ""):
        if not isinstance(respondent, str):
            raise DisputeInvalid("respondent", "Expected a buyer organization's slug.", "invalid_type")
        chosen = engaged.filter(slug=respondent).first()
        if chosen is None:
            raise DisputeInvalid("respondent", f"No buyer {respondent!r} engages {agent.slug}.", "not_found")
        return chosen
    buyers = list(engaged[:2])
    if len(buyers) == 1:
        return buyers[0]
    if not buyers:
        raise NoStanding(
            f"A vendor's dispute about a {SubjectType(subject.type).label.lower()} is answered by a buyer that "
            f"engages the agent, and none engages {agent.name}."
        )
    raise DisputeInvalid("respondent", "Several buyers engage this agent: name the respondent (its slug).", "required")


def terms_of(version: PactVersion) -> dict[str, int]:
    terms = (version.document or {}).get("dispute_terms") or {}
    return {key: int(terms.get(key, default)) for key, default in DEFAULT_TERMS.items()}


def open_dispute_for(subject_key: str, claimant_id: int) -> Dispute | None:
    return Dispute.objects.open().filter(subject_key=subject_key, claimant_id=claimant_id).first()


def _duplicate(existing: Dispute) -> DuplicateDispute:
    return DuplicateDispute(
        f"Your organization already has dispute #{existing.pk} open about this subject.",
        errors=[
            {
                "field": "subject",
                "message": f"dispute {existing.pk} is open",
                "code": "duplicate",
                "dispute": str(existing.pk),
            }
        ],
    )


def dispute_file(
    *,
    user: User,
    agent: str | Agent,
    subject: Any,
    claim_type: Any,
    requested_remedy: Any,
    statement: Any,
    respondent: Any = None,
    confidential: bool = False,
    attachments: Any = (),
    now: datetime | None = None,
) -> Dispute:
    """File a dispute: filed → awaiting_response at once; the respondent's clock starts; both sides told."""
    from disputes.submissions import attachments_check
    from verdicts.evaluation import agent_evaluate

    now = now or timezone.now()
    require(user, "disputes.file")
    if isinstance(agent, str):
        found = Agent.objects.restrict(user, "view").filter(slug=agent).first()
        if found is None:
            raise NotFound(f"No agent {agent!r}.")
        agent = found
    if claim_type not in ClaimType.values:
        raise DisputeInvalid("claim_type", f"Expected one of {', '.join(ClaimType.values)}.", "invalid_choice")
    resolved = subject_resolve(user=user, agent=agent, raw=subject)
    answering = standing(user=user, agent=agent, subject=resolved, claim_type=claim_type, respondent=respondent)
    remedy = text(requested_remedy, "requested_remedy", maximum=2000)
    statement = text(statement, "statement")
    checked = attachments_check(attachments) if attachments else []
    claimant_id = organization_id_of(user)
    assert claimant_id is not None
    existing = open_dispute_for(resolved.key, claimant_id)
    if existing is not None:
        raise _duplicate(existing)
    terms = terms_of(resolved.pact_version)
    try:
        with transaction.atomic():
            dispute = Dispute.objects.create(
                agent=agent,
                claimant_id=claimant_id,
                respondent=answering,
                filed_by=user,
                subject_type=resolved.type,
                subject_key=resolved.key,
                verdict=resolved.verdict,
                evidence=resolved.evidence,
                ledger_entry=resolved.ledger_entry,
                pact=resolved.pact_version.pact if resolved.clause_id else None,
                pact_version=resolved.pact_version,
                clause_id=resolved.clause_id,
                metric=resolved.metric,
                claim_type=claim_type,
                requested_remedy=remedy,
                statement=statement,
                status=Status.FILED,
                created_at=now,
                updated_at=now,
                **terms,
            )
            DisputeEvent.objects.create(
                dispute=dispute,
                at=now,
                actor=user,
                action="file",
                to_status=Status.FILED,
                note=f"{ClaimType(claim_type).label}: {resolved.key}",
            )
            submission_create(
                dispute=dispute,
                party=Party.CLAIMANT,
                stage=Submission.Stage.FILING,
                author=user,
                statement=statement,
                confidential=confidential,
                attachments=checked,
                now=now,
            )
            due = now + timedelta(days=dispute.response_days)
            dispute = move(
                dispute,
                actor=None,
                action="await_response",
                sources=[Status.FILED],
                to=Status.AWAITING_RESPONSE,
                now=now,
                due_by=due,
                note=f"the respondent has {dispute.response_days} days to answer",
            )
            if dispute.clause_id:
                agent_evaluate(agent_id=agent.pk, now=now)  # its verdicts read "disputed" from now on
            notify.dispute_filed(dispute)
    except IntegrityError as error:  # the same claimant filed about the same subject at the same moment
        existing = open_dispute_for(resolved.key, claimant_id)
        if existing is None:
            raise
        raise _duplicate(existing) from error
    return dispute
