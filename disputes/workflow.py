"""The dispute workflow: every action is a named function that checks who may make it, moves the dispute
with a conditional UPDATE (from the states that allow it, at the revision the caller read) and writes exactly
one ``DisputeEvent``. The state machine is drawn in ``disputes.models``.

Filing (``dispute_file``) and standing live in ``disputes.filing``; rulings and their effects in
``disputes.rulings``; the beat's escalations in ``disputes.deadlines``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.permissions import require
from accounts.rules import acts_as_staff, organization_id_of
from disputes import notify
from disputes.errors import DisputeInvalid, TransitionRefused
from disputes.models import BEFORE_RULING, Dispute, DisputeEvent, Party, Ruling, Status, Submission
from disputes.submissions import attachments_check, submission_create
from trust_portal.errors import Forbidden
from trust_portal.transitions import guarded_move

MAX_STATEMENT = 20000
APPEAL_MIN_CHARS = 30


def _label(status: str) -> str:
    return str(Status(status).label).lower()


def text(value: Any, field: str, *, required: bool = True, minimum: int = 1, maximum: int = MAX_STATEMENT) -> str:
    """A statement-like field: a string, stripped, within bounds (the sanitiser already refused NUL bytes)."""
    if value is None or value == "":
        if required:
            raise DisputeInvalid(field, "This field is required.", "required")
        return ""
    if not isinstance(value, str):
        raise DisputeInvalid(field, "Must be a string.", "invalid_type")
    value = value.strip()
    if required and len(value) < minimum:
        raise DisputeInvalid(field, f"At least {minimum} characters.", "too_short")
    if len(value) > maximum:
        raise DisputeInvalid(field, f"At most {maximum} characters.", "too_long")
    return value


def move(
    dispute: Dispute,
    *,
    actor: User | None,
    action: str,
    sources: Iterable[str],
    to: str | None = None,
    note: str = "",
    now: datetime,
    **changes: Any,
) -> Dispute:
    """One action: UPDATE … WHERE status IN sources AND revision = the one read; refused (409) otherwise
    (``trust_portal.transitions.guarded_move``).

    ``to=None`` keeps the state (an assignment, a settlement proposal): still one event, still one revision."""
    return guarded_move(
        dispute,
        event_model=DisputeEvent,
        event_field="dispute",
        refused=TransitionRefused,
        label=_label,
        actor=actor,
        action=action,
        sources=sources,
        to=to,
        note=note,
        now=now,
        **changes,
    )


def party_of_user(user: User, dispute: Dispute) -> str:
    return dispute.party_of(organization_id_of(user))


def _announce(dispute: Dispute, what: str) -> None:
    notify.dispute_updated(dispute, what)


def _after_terminal(dispute: Dispute, now: datetime) -> None:
    """A dispute that ends stops marking its clause's verdicts disputed (re-evaluated in this transaction)."""
    from verdicts.evaluation import agent_evaluate

    agent_evaluate(agent_id=dispute.agent_id, now=now)


def _move_filing(
    dispute: Dispute,
    *,
    user: User,
    action: str,
    sources: list[str],
    to: str,
    now: datetime,
    party: str,
    stage: str,
    statement: str,
    confidential: bool,
    attachments: Iterable[Any],
    announce: str,
    **changes: Any,
) -> Dispute:
    """A party's move that files their statement (respond, answer a question, appeal): the transition and the
    submission in one transaction (a second submission at the stage is a 409 and undoes the move), then the word
    to both sides."""
    checked = attachments_check(list(attachments)) if attachments else []
    with transaction.atomic():
        dispute = move(dispute, actor=user, action=action, sources=sources, to=to, now=now, **changes)
        submission_create(
            dispute=dispute,
            party=party,
            stage=stage,
            round=dispute.info_rounds if stage == Submission.Stage.INFO else 0,
            author=user,
            statement=statement,
            confidential=confidential,
            attachments=checked,
            now=now,
        )
        _announce(dispute, announce)
    return dispute


# --- the respondent ----------------------------------------------------------------------------------------------


def dispute_respond(
    *,
    user: User,
    dispute: Dispute,
    statement: Any,
    confidential: bool = False,
    attachments: Iterable[Any] = (),
    now: datetime | None = None,
) -> Dispute:
    """awaiting_response → under_review: the respondent's one statement; the review clock starts."""
    now = now or timezone.now()
    require(user, "disputes.respond", dispute)
    statement = text(statement, "statement")
    review_due = now + timedelta(days=dispute.review_days)
    return _move_filing(
        dispute,
        user=user,
        action="respond",
        sources=[Status.AWAITING_RESPONSE],
        to=Status.UNDER_REVIEW,
        now=now,
        party=Party.RESPONDENT,
        stage=Submission.Stage.RESPONSE,
        statement=statement,
        confidential=confidential,
        attachments=attachments,
        announce="the respondent answered",
        due_by=review_due,
        review_due_by=review_due,
    )


# --- arbiters ----------------------------------------------------------------------------------------------------


def first_arbiter_id(dispute: Dispute) -> int | None:
    return Ruling.objects.filter(dispute=dispute, stage=Ruling.Stage.FIRST).values_list("arbiter_id", flat=True).first()


def dispute_assign(*, user: User, dispute: Dispute, arbiter: str | None = None, now: datetime | None = None) -> Dispute:
    """An arbiter claims a dispute waiting for one (staff may assign any eligible arbiter, or reassign)."""
    from disputes.rules import conflicted

    now = now or timezone.now()
    require(user, "disputes.assign", dispute)
    if arbiter not in (None, ""):
        if not acts_as_staff(user):
            raise Forbidden("Only staff may assign another arbiter; an arbiter claims a dispute for themselves.")
        chosen = User.objects.filter(username=arbiter, is_active=True, is_arbiter=True).first()
        if chosen is None:
            raise DisputeInvalid("arbiter", f"No active arbiter {arbiter!r}.", "not_found")
    elif user.is_arbiter:
        chosen = user
    else:
        raise DisputeInvalid("arbiter", "Name the arbiter to assign.", "required")
    if conflicted(chosen, dispute):
        who = "You have" if chosen == user else f"{chosen.username} has"
        raise Forbidden(f"{who} declared a conflict of interest with a party to this dispute.")
    if dispute.status == Status.APPEALED and first_arbiter_id(dispute) == chosen.pk:
        raise Forbidden("An appeal goes to another arbiter than the one who made the first ruling.")
    sources = [Status.AWAITING_RESPONSE, Status.UNDER_REVIEW, Status.INFO_REQUESTED, Status.APPEALED]
    if dispute.arbiter_id is not None and not acts_as_staff(user):
        taken = "you" if dispute.arbiter_id == user.pk else "another arbiter"
        raise TransitionRefused(
            f"This dispute is already assigned to {taken}.",
            errors=[{"field": "arbiter", "message": "already assigned", "code": "already_assigned"}],
        )
    with transaction.atomic():
        dispute = move(
            dispute,
            actor=user,
            action="assign",
            sources=sources,
            now=now,
            arbiter=chosen,
            note=f"assigned to {chosen.username}",
        )
        notify.to_users([chosen], dispute, f"Dispute #{dispute.pk} is assigned to you", kind="dispute.assigned")
        _announce(dispute, f"arbiter {chosen.username} assigned")
    return dispute


def dispute_request_info(
    *, user: User, dispute: Dispute, party: Any, question: Any, now: datetime | None = None
) -> Dispute:
    """under_review → info_requested: the arbiter asks one party; that party may submit once more."""
    now = now or timezone.now()
    require(user, "disputes.request_info", dispute)
    if party not in (Party.CLAIMANT, Party.RESPONDENT):
        raise DisputeInvalid("party", "Must be claimant or respondent.", "invalid_choice")
    question = text(question, "question", maximum=5000)
    with transaction.atomic():
        dispute = move(
            dispute,
            actor=user,
            action="request_info",
            sources=[Status.UNDER_REVIEW],
            to=Status.INFO_REQUESTED,
            now=now,
            info_party=party,
            info_question=question,
            info_rounds=F("info_rounds") + 1,
            due_by=now + timedelta(days=dispute.response_days),
            note=f"asked the {party}: {question}",
        )
        _announce(dispute, f"the arbiter asked the {party} a question")
    return dispute


def dispute_submit_info(
    *,
    user: User,
    dispute: Dispute,
    statement: Any,
    confidential: bool = False,
    attachments: Iterable[Any] = (),
    now: datetime | None = None,
) -> Dispute:
    """info_requested → under_review: the asked party's answer (one submission per question)."""
    now = now or timezone.now()
    require(user, "disputes.submit_info", dispute)
    statement = text(statement, "statement")
    party = dispute.info_party
    return _move_filing(
        dispute,
        user=user,
        action="submit_info",
        sources=[Status.INFO_REQUESTED],
        to=Status.UNDER_REVIEW,
        now=now,
        party=party,
        stage=Submission.Stage.INFO,
        statement=statement,
        confidential=confidential,
        attachments=attachments,
        announce=f"the {party} answered the arbiter's question",
        info_party="",
        due_by=dispute.review_due_by,
    )


# --- the parties' own moves ----------------------------------------------------------------------------------


def dispute_withdraw(*, user: User, dispute: Dispute, note: Any = "", now: datetime | None = None) -> Dispute:
    """Before a ruling → withdrawn (the claimant)."""
    now = now or timezone.now()
    require(user, "disputes.withdraw", dispute)
    note = text(note, "note", required=False, maximum=1000)
    with transaction.atomic():
        dispute = move(
            dispute,
            actor=user,
            action="withdraw",
            sources=BEFORE_RULING,
            to=Status.WITHDRAWN,
            now=now,
            closed_at=now,
            due_by=None,
            note=note,
        )
        _after_terminal(dispute, now)
        _announce(dispute, "the claimant withdrew it")
    return dispute


def dispute_settle(*, user: User, dispute: Dispute, terms: Any, now: datetime | None = None) -> Dispute:
    """Propose terms, or accept the other side's: settled once both sides agree (before a ruling).

    ``terms`` empty or equal to the other side's proposal accepts it; different terms are a new proposal
    (a counter-offer replaces the standing one). Each proposal is a logged submission; acceptance an event."""
    now = now or timezone.now()
    require(user, "disputes.settle", dispute)
    party = party_of_user(user, dispute)
    terms = text(terms, "terms", required=False, maximum=5000)
    pending = dispute.settlement_proposed_by
    accepting = bool(pending) and pending != party and (not terms or terms == dispute.settlement_terms)
    with transaction.atomic():
        if accepting:
            dispute = move(
                dispute,
                actor=user,
                action="settle",
                sources=BEFORE_RULING,
                to=Status.SETTLED,
                now=now,
                closed_at=now,
                due_by=None,
                note=f"the {party} accepted the {pending}'s terms: {dispute.settlement_terms}",
            )
            _after_terminal(dispute, now)
            _announce(dispute, "the parties settled")
            return dispute
        if not terms:
            raise DisputeInvalid(
                "terms", "Propose terms (there is no proposal from the other side to accept).", "required"
            )
        dispute = move(
            dispute,
            actor=user,
            action="propose_settlement",
            sources=BEFORE_RULING,
            now=now,
            settlement_terms=terms,
            settlement_proposed_by=party,
            settlement_proposed_at=now,
            note=f"the {party} proposed: {terms}",
        )
        rounds = Submission.objects.filter(dispute=dispute, party=party, stage=Submission.Stage.SETTLEMENT).count()
        submission_create(
            dispute=dispute,
            party=party,
            stage=Submission.Stage.SETTLEMENT,
            round=rounds,
            author=user,
            statement=terms,
            now=now,
        )
        _announce(dispute, f"the {party} proposed a settlement")
    return dispute


def dispute_appeal(
    *,
    user: User,
    dispute: Dispute,
    statement: Any,
    confidential: bool = False,
    attachments: Iterable[Any] = (),
    now: datetime | None = None,
) -> Dispute:
    """ruled → appealed: once, by either party, within the appeal window, saying what is new."""
    now = now or timezone.now()
    require(user, "disputes.appeal", dispute)
    statement = text(statement, "statement", minimum=APPEAL_MIN_CHARS)
    if dispute.status == Status.RULED and dispute.due_by is not None and now > dispute.due_by:
        raise TransitionRefused(
            f"The appeal window closed at {dispute.due_by:%Y-%m-%d %H:%M} UTC; the ruling is final.",
            errors=[{"field": "status", "message": "appeal window closed", "code": "appeal_window_closed"}],
        )
    party = party_of_user(user, dispute)
    review_due = now + timedelta(days=dispute.review_days)
    return _move_filing(
        dispute,
        user=user,
        action="appeal",
        sources=[Status.RULED],
        to=Status.APPEALED,
        now=now,
        party=party,
        stage=Submission.Stage.APPEAL,
        statement=statement,
        confidential=confidential,
        attachments=attachments,
        announce=f"the {party} appealed the ruling",
        arbiter=None,
        appealed_by=party,
        due_by=review_due,
        review_due_by=review_due,
        note=f"appealed by the {party}",
    )


def dispute_close(*, user: User | None, dispute: Dispute, now: datetime | None = None) -> Dispute:
    """ruled (appeal window over) or ruled_on_appeal → closed: the ruling is final (staff, the arbiter, the beat)."""
    now = now or timezone.now()
    if user is not None:
        require(user, "disputes.close", dispute)
    if dispute.status == Status.RULED and dispute.due_by is not None and now <= dispute.due_by:
        raise TransitionRefused(
            f"The appeal window is open until {dispute.due_by:%Y-%m-%d %H:%M} UTC; the dispute closes by itself then.",
            errors=[{"field": "status", "message": "appeal window open", "code": "appeal_window_open"}],
        )
    with transaction.atomic():
        dispute = move(
            dispute,
            actor=user,
            action="close",
            sources=[Status.RULED, Status.RULED_ON_APPEAL],
            to=Status.CLOSED,
            now=now,
            closed_at=now,
            due_by=None,
            note="" if user is not None else "the ruling became final",
        )
        _after_terminal(dispute, now)
        _announce(dispute, "closed: the ruling is final")
    return dispute


def dispute_url(dispute: Dispute) -> str:
    return reverse("disputes:detail", args=[dispute.pk])
