"""Dispute pages: the parties' list, filing (with the precedent on the clause), the dispute page (timeline, both
sides' submissions, deadlines, rulings and the viewer's actions as htmx forms), the arbiter queue, precedent
search, conflicts of interest and attachment downloads. Every read goes through ``disputes.selectors``, every
write through the services; a refusal is shown inline with its own status (400, 403, 404 or 409)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import Organization, User
from accounts.permissions import may, require
from accounts.roles import Role, role_of, signed_in_user
from disputes import conflicts as conflict_services
from disputes import forms as dispute_forms
from disputes import selectors, workflow
from disputes.filing import CLAIMS, STANDING_NEEDED, Subject, dispute_file, subject_resolve, terms_of
from disputes.models import (
    AWAITING_ARBITER,
    ClaimType,
    Dispute,
    Party,
    Ruling,
    Status,
    SubjectType,
    Submission,
    SubmissionAttachment,
)
from disputes.rulings import allowed, dispute_rule
from disputes.selectors import actions_for, dispute_get, precedent_search, ruling_public, similar_rulings
from pacts.models import Agent
from pacts.selectors import agent_get
from reputation.engagements import engagement_list
from transparency import log as tlog
from trust_portal.errors import DomainError, Forbidden
from trust_portal.web import add_errors_to_form, paginate
from verdicts.selectors import verdict_board

# --- deadlines -------------------------------------------------------------------------------------------------


def _span(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days} day{'s' if days != 1 else ''} {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{max(minutes, 1)} min"


def countdown(moment: datetime, now: datetime) -> str:
    """ "due in 3 days 4 h" or "overdue by 2 h 5 min" (what the page says without JavaScript)."""
    seconds = int((moment - now).total_seconds())
    return f"due in {_span(seconds)}" if seconds >= 0 else f"overdue by {_span(-seconds)}"


# (status) → what ``due_by`` is the deadline of, and how many days of the dispute's terms the step lasts.
STEP = {
    Status.AWAITING_RESPONSE: ("Response due", "response_days", "the respondent answers"),
    Status.INFO_REQUESTED: ("Answer due", "response_days", "the asked party answers the arbiter"),
    Status.UNDER_REVIEW: ("Ruling due", "review_days", "the arbiter rules"),
    Status.APPEALED: ("Appeal ruling due", "review_days", "another arbiter rules on the appeal"),
    Status.RULED: ("Appeal window closes", "appeal_days", "either party may appeal; then the ruling is final"),
}


def deadlines(dispute: Dispute, now: datetime) -> list[dict[str, Any]]:
    """The running clocks: the current step's (``due_by``) and, while the arbiter's runs apart, ``review_due_by``."""
    found = []
    step = STEP.get(dispute.status)  # type: ignore[call-overload]
    if step and dispute.due_by:
        label, days_field, what = step
        found.append(_deadline(label, what, dispute.due_by, getattr(dispute, days_field), now))
    if dispute.status == Status.INFO_REQUESTED and dispute.review_due_by and dispute.review_due_by != dispute.due_by:
        found.append(_deadline("Ruling due", "the arbiter rules", dispute.review_due_by, dispute.review_days, now))
    return found


def _deadline(label: str, what: str, at: datetime, days: int, now: datetime) -> dict[str, Any]:
    total = max(days, 1) * 86400
    left = (at - now).total_seconds()
    return {
        "label": label,
        "what": what,
        "at": at,
        "text": countdown(at, now),
        "overdue": left < 0,
        "soon": 0 <= left < 86400,
        "left": max(0, round(left)),
        "total": total,
    }


# --- the list ----------------------------------------------------------------------------------------------------


def with_clock(dispute: Dispute, now: datetime) -> Dispute:
    clocks = deadlines(dispute, now)
    dispute.clock = clocks[0] if clocks else None  # type: ignore[attr-defined]
    return dispute


@login_required
@require_safe
def dispute_list(request: HttpRequest) -> HttpResponse:
    """The disputes of the user's organization (either side), every one for staff; filters and pages."""
    user = signed_in_user(request)
    filters = dispute_forms.DisputeFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    disputes = selectors.dispute_list(
        user=user, status=chosen.get("status", ""), agent=chosen.get("agent", ""), role=chosen.get("role", "")
    )
    page = paginate(request, disputes)
    now = timezone.now()
    for dispute in page.object_list:
        with_clock(dispute, now)
    context = {
        "filters": filters,
        "page": page,
        "can_file": may(user, "disputes.file"),
        "org_id": getattr(user.organization, "pk", None),
    }
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "disputes/list.html#results", context)
    return render(request, "disputes/list.html", context, status=400 if filters.errors else 200)


# --- filing ----------------------------------------------------------------------------------------------------


def _respondents(user: User, agent: Agent, subject: Subject) -> list[tuple[str, str]]:
    """The buyers a vendor's dispute may be answered by: those engaging the agent (then or now)."""
    seen: dict[str, str] = {}
    for engagement in engagement_list(user=user, agent=agent):
        if engagement.ended_at is None or engagement.ended_at >= subject.moment:
            seen.setdefault(engagement.buyer.slug, engagement.buyer.name)
    return sorted(seen.items(), key=lambda item: item[1])


def _precedent(user: User, subject: Subject | None) -> list[dict[str, Any]]:
    if subject is None or not (subject.clause_id or subject.metric):
        return []
    if subject.clause_id:
        rulings = precedent_search(user=user, clause_id=subject.clause_id)
    else:
        rulings = precedent_search(user=user, metric=subject.metric)
    return [public(r, user) for r in rulings[:10]]


@login_required
@require_http_methods(["GET", "POST"])
def dispute_new(request: HttpRequest) -> HttpResponse:
    """The filing form, its subject prefilled from "Dispute this"; the earlier rulings on the clause beside it."""
    user = signed_in_user(request)
    require(user, "disputes.file")  # before anything is read
    source = request.POST if request.method == "POST" else request.GET
    slug = source.get("agent", "")[:80]
    raw = {"type": source.get("subject_type", "")[:20], "id": source.get("subject_id", "")[:63]}
    if raw["type"] == SubjectType.CLAUSE and source.get("pact", "").isdigit():
        raw["pact"] = source["pact"][:18]
    context: dict[str, Any] = {"agent": None, "subject": None, "subject_error": "", "form": None, "status": 200}
    if not slug:
        context["subject_error"] = (
            'Open this form with "Dispute this" on a verdict, a clause, an evidence record or a ledger entry: '
            "it names what the dispute is about."
        )
        return render(request, "disputes/file.html", context, status=400 if request.method == "POST" else 200)
    agent = agent_get(user=user, slug=slug)  # 404 for an agent the user may not see
    context["agent"] = agent
    if not raw["type"] and request.method != "POST":  # "File a dispute" on the agent's page: choose what about
        context["picker"] = verdict_board(agent=agent, user=user)
        return render(request, "disputes/file.html", context)
    subject: Subject | None = None
    try:
        subject = subject_resolve(user=user, agent=agent, raw=raw)
    except DomainError as error:
        context["subject_error"] = error.detail
        context["status"] = error.status
    organization = user.organization
    side = organization.kind if organization is not None else ""
    claims = CLAIMS.get((side, subject.type), ()) if subject else ()
    if subject is not None and not claims:
        label = str(SubjectType(subject.type).label).lower()
        article = "an" if label[0] in "aeiou" else "a"
        context["subject_error"] = f"As a {side} you may not dispute {article} {label}. {STANDING_NEEDED}"
        context["status"] = 403
    respondents = None
    if subject is not None and side == Organization.Kind.VENDOR and subject.type != SubjectType.LEDGER_ENTRY:
        respondents = _respondents(user, agent, subject)
    context.update(subject=subject, precedent=_precedent(user, subject), side=side)
    if subject is not None:
        context.update(
            subject_label=SubjectType(subject.type).label,
            terms=terms_of(subject.pact_version),
            clause_url=reverse("verdicts:clause", args=[agent.slug, subject.pact_version.pact_id, subject.clause_id])
            if subject.clause_id
            else "",
        )
    if subject is None or not claims:
        return render(request, "disputes/file.html", context, status=context["status"])
    initial = {"agent": agent.slug, "subject_type": raw["type"], "subject_id": raw["id"], "pact": raw.get("pact")}
    if respondents and len(respondents) == 1:
        initial["respondent"] = respondents[0][0]
    form = dispute_forms.FileForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        initial=initial,
        claims=claims,
        respondents=respondents,
    )
    context["form"] = form
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                dispute = dispute_file(
                    user=user,
                    agent=agent,
                    subject=form.subject(),
                    claim_type=data["claim_type"],
                    requested_remedy=data["requested_remedy"],
                    statement=data["statement"],
                    respondent=data.get("respondent") or None,
                    confidential=data["confidential"],
                    attachments=data["attachments"],
                )
            except DomainError as error:
                add_errors_to_form(form, error)
                status = error.status
                context["existing"] = next(
                    (item["dispute"] for item in error.errors or [] if item.get("dispute")), None
                )
            else:
                messages.success(
                    request,
                    f"Dispute #{dispute.pk} filed. {dispute.respondent.name} has {dispute.response_days} days "
                    "to respond; both sides are notified of every step.",
                )
                return redirect("disputes:detail", dispute.pk)
        return render(request, "disputes/file.html", context, status=status)
    return render(request, "disputes/file.html", context)


# --- the dispute page --------------------------------------------------------------------------------------------


def _proofs(submissions: list[Submission]) -> None:
    """Each logged submission's inclusion proof against the latest checkpoint, when one covers it already."""
    latest = tlog.checkpoint_latest()
    for submission in submissions:
        proof = None
        if submission.leaf_index is not None and latest is not None and latest.size > submission.leaf_index:
            proof = tlog.inclusion(index=submission.leaf_index, checkpoint=latest)
        submission.proof = proof  # type: ignore[attr-defined]


def describe(consequence: dict[str, Any], clause_id: str) -> str:
    """A consequence in words."""
    action = consequence.get("action")
    if action == "verdict_override":
        return (
            f"the verdict of {clause_id or 'the clause'} reads {consequence['status']} "
            f"for {consequence.get('days', 30)} days"
        )
    if action == "service_credit":
        return f"a service credit of {consequence['percent']:g} % of the monthly fee"
    if action == "cancel_credit":
        return f"ledger entry #{consequence['entry']} cancelled"
    if action == "tier":
        return f"the tier capped at {consequence['tier']} for {consequence.get('days', 30)} days"
    return str(consequence)


def _rulings(dispute: Dispute) -> list[Ruling]:
    rulings = sorted(dispute.rulings.all(), key=lambda r: (r.created_at, r.pk))
    superseding = {r.supersedes_id: r for r in rulings if r.supersedes_id}
    for ruling in rulings:
        ruling.effects = [describe(c, ruling.clause_id) for c in ruling.consequences]  # type: ignore[attr-defined]
        ruling.superseded = superseding.get(ruling.pk)  # type: ignore[attr-defined]
        ruling.cited = sorted(ruling.cites.all(), key=lambda r: r.pk)  # type: ignore[attr-defined]
    return rulings


ACTION_FORMS: dict[str, type[forms.Form]] = {
    "respond": dispute_forms.RespondForm,
    "assign": dispute_forms.AssignForm,
    "request-info": dispute_forms.RequestInfoForm,
    "submit-info": dispute_forms.SubmitInfoForm,
    "rule": dispute_forms.RulingForm,
    "appeal": dispute_forms.AppealForm,
    "withdraw": dispute_forms.WithdrawForm,
    "settle": dispute_forms.SettleForm,
    "close": dispute_forms.CloseForm,
}


def public(ruling: Ruling, user: Any) -> dict[str, Any]:
    """A ruling's public form, with its outcome and consequences in words."""
    shown = ruling_public(ruling, user)
    shown["outcome_label"] = ruling.get_outcome_display()
    shown["effects"] = [describe(c, ruling.clause_id) for c in ruling.consequences]
    return shown


def _suggestions(user: User, dispute: Dispute) -> list[dict[str, Any]]:
    return [public(r, user) for r in similar_rulings(dispute, user=user)]


def _form(action: str, user: User, dispute: Dispute, request: HttpRequest | None = None) -> forms.Form:
    """The form of one action, bound to the request when it is the one posted."""
    args: tuple[Any, ...] = (request.POST, request.FILES) if request is not None else ()
    kwargs: dict[str, Any] = {"prefix": action.replace("-", "_")}
    if action == "rule":
        kwargs.update(allowed=allowed(dispute), suggestions=_suggestions(user, dispute))
    elif action == "assign":
        kwargs["arbiters"] = _arbiters(dispute) if role_of(user) is Role.STAFF else None
    return ACTION_FORMS[action](*args, **kwargs)


def _arbiters(dispute: Dispute) -> list[str]:
    """The arbiters staff may assign: active, and not the one who made the first ruling of an appeal."""
    first = workflow.first_arbiter_id(dispute) if dispute.status == Status.APPEALED else None
    return list(
        User.objects.filter(is_arbiter=True, is_active=True)
        .exclude(pk=first or 0)
        .order_by("username")
        .values_list("username", flat=True)
    )


def _detail_context(
    request: HttpRequest,
    dispute: Dispute,
    *,
    failed: str = "",
    failed_form: forms.Form | None = None,
    refusal: str = "",
    flash: str = "",
) -> dict[str, Any]:
    user = signed_in_user(request)
    now = timezone.now()
    actions = actions_for(user, dispute)
    action_forms = {
        action.replace("-", "_"): failed_form
        if action == failed and failed_form is not None
        else _form(action, user, dispute)
        for action in actions
    }
    if failed and failed not in actions and failed_form is not None and not refusal:
        refusal = _form_error(failed_form)  # the form is not offered any more: say what was wrong above
    events = list(dispute.events.all())
    for event in events:
        event.label = event.action.replace("_", " ")  # type: ignore[attr-defined]
        event.from_label = _status_label(event.from_status)  # type: ignore[attr-defined]
        event.to_label = _status_label(event.to_status)  # type: ignore[attr-defined]
    submissions = list(dispute.submissions.all())
    _proofs(submissions)
    party = dispute.party_of(getattr(user.organization, "pk", None))
    ruling_form = action_forms.get("rule")
    return {
        "dispute": dispute,
        "now": now,
        "party": party,
        "deadlines": deadlines(dispute, now),
        "claimant_submissions": [s for s in submissions if s.party == Party.CLAIMANT],
        "respondent_submissions": [s for s in submissions if s.party == Party.RESPONDENT],
        "rulings": _rulings(dispute),
        "events": events,
        "actions": actions,
        "forms": action_forms,
        "ruling_form": ruling_form,
        "suggestions": getattr(ruling_form, "suggestions", []),
        "allowed": getattr(ruling_form, "allowed", None),
        "failed": failed,
        "refusal": refusal,
        "flash": flash,
        "settlement_pending_other": bool(dispute.settlement_proposed_by) and dispute.settlement_proposed_by != party,
        "claim_label": ClaimType(dispute.claim_type).label,
        "subject_url": _subject_url(dispute),
    }


def _status_label(status: str) -> str:
    return str(Status(status).label).lower() if status in Status.values else status


def _subject_url(dispute: Dispute) -> str:
    if dispute.subject_type == SubjectType.EVIDENCE and dispute.evidence_id:
        return reverse("evidence:record", args=[dispute.evidence_id])
    if dispute.clause_id and dispute.pact_id:
        return reverse("verdicts:clause", args=[dispute.agent.slug, dispute.pact_id, dispute.clause_id])
    if dispute.subject_type == SubjectType.LEDGER_ENTRY:
        return reverse("reputation:ledger") + f"?agent={dispute.agent.slug}"
    return ""


@login_required
@require_safe
def dispute_detail(request: HttpRequest, dispute_id: int) -> HttpResponse:
    """One dispute: what it is about, the clocks, both sides' submissions, the rulings, the timeline, and the
    actions the viewer may take now."""
    dispute = dispute_get(user=signed_in_user(request), dispute_id=dispute_id)
    context = _detail_context(request, dispute)
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "disputes/detail.html#dispute", context)
    return render(request, "disputes/detail.html", context)


def _perform(action: str, user: User, dispute: Dispute, form: forms.Form) -> str:
    """Run one action's service; the success message."""
    data = form.cleaned_data
    if action == "respond":
        workflow.dispute_respond(
            user=user,
            dispute=dispute,
            statement=data["statement"],
            confidential=data["confidential"],
            attachments=data["attachments"],
        )
        return "Your response is recorded and logged; the review has started."
    if action == "assign":
        done = workflow.dispute_assign(user=user, dispute=dispute, arbiter=data.get("arbiter") or None)
        if done.arbiter_id == user.pk:
            return "The dispute is assigned to you."
        return f"The dispute is assigned to {done.arbiter.username if done.arbiter else 'the arbiter'}."
    if action == "request-info":
        workflow.dispute_request_info(user=user, dispute=dispute, party=data["party"], question=data["question"])
        return f"Your question is sent to the {data['party']}."
    if action == "submit-info":
        workflow.dispute_submit_info(
            user=user,
            dispute=dispute,
            statement=data["statement"],
            confidential=data["confidential"],
            attachments=data["attachments"],
        )
        return "Your answer is recorded and logged; the review goes on."
    if action == "rule":
        assert isinstance(form, dispute_forms.RulingForm)
        ruling = dispute_rule(
            user=user,
            dispute=dispute,
            outcome=data["outcome"],
            rationale=data["rationale"],
            consequences=form.consequences(),
            cites=form.cites_list(),
        )
        return f"Ruling #{ruling.pk} recorded ({ruling.get_outcome_display().lower()}); its consequences are applied."
    if action == "appeal":
        workflow.dispute_appeal(
            user=user,
            dispute=dispute,
            statement=data["statement"],
            confidential=data["confidential"],
            attachments=data["attachments"],
        )
        return "Your appeal is recorded; another arbiter will rule on it."
    if action == "withdraw":
        workflow.dispute_withdraw(user=user, dispute=dispute, note=data["note"])
        return "The dispute is withdrawn."
    if action == "settle":
        done = workflow.dispute_settle(user=user, dispute=dispute, terms=data["terms"])
        if done.status == Status.SETTLED:
            return "Settled: both sides agreed to the terms."
        return "Your settlement terms are proposed; the other side may accept them."
    workflow.dispute_close(user=user, dispute=dispute)
    return "The dispute is closed: the ruling is final."


def _show_refusal(form: forms.Form, refused: DomainError) -> str:
    """Field errors on their fields; the detail as the form's alert unless a field already says it."""
    placed = False
    for item in refused.errors or []:
        field = str(item.get("field", "")).split(".")[0]
        if field in form.fields:
            form.add_error(field, item["message"])
            placed = True
    if refused.field and not placed and refused.field.split(".")[0] in form.fields:
        form.add_error(refused.field.split(".")[0], refused.detail)
        placed = True
    return "" if placed and refused.status == 400 else refused.detail


@login_required
@require_POST
def dispute_action(request: HttpRequest, dispute_id: int, action: str) -> HttpResponse:
    """One transition, posted by its form on the dispute page (or a claim button in the queue)."""
    if action not in ACTION_FORMS:
        raise Http404("No such action on a dispute.")
    user = signed_in_user(request)
    dispute = dispute_get(user=user, dispute_id=dispute_id)  # 404 before the form is read
    form = _form(action, user, dispute, request)
    refusal, status, flash = "", 400, ""
    if form.is_valid():
        try:
            flash = _perform(action, user, dispute, form)
        except DomainError as refused:
            refusal, status = _show_refusal(form, refused), refused.status
        else:
            status = 200
    from_queue = request.POST.get("from") == "queue"
    if status == 200 and not request.htmx:  # type: ignore[attr-defined]
        messages.success(request, flash)
        return redirect("disputes:detail", dispute.pk)
    fresh = dispute_get(user=user, dispute_id=dispute.pk)
    if from_queue and request.htmx:  # type: ignore[attr-defined]
        now = timezone.now()
        context = {"dispute": with_clock(fresh, now), "row_error": refusal or _form_error(form), "claimed": flash}
        response = render(request, "disputes/queue.html#queue-row", context, status=status)
    else:
        failed = action if status != 200 else ""
        context = _detail_context(
            request, fresh, failed=failed, failed_form=form if failed else None, refusal=refusal, flash=flash
        )
        template = "disputes/detail.html#dispute" if request.htmx else "disputes/detail.html"  # type: ignore[attr-defined]
        response = render(request, template, context, status=status)
    response["X-Fragment"] = "swap"  # disputes.js swaps it even when it is a refusal (4xx)
    return response


def _form_error(form: forms.Form) -> str:
    return "; ".join(str(e) for errors in form.errors.values() for e in errors)


@login_required
@require_safe
def attachment_download(request: HttpRequest, dispute_id: int, attachment_id: int) -> FileResponse:
    """A submission's attachment, to those who may see the dispute; always a download, never rendered."""
    dispute = dispute_get(user=signed_in_user(request), dispute_id=dispute_id)
    found = (
        SubmissionAttachment.objects.filter(pk=attachment_id, submission__dispute=dispute)
        .select_related("attachment")
        .first()
    )
    if found is None:
        raise Http404("No such attachment in this dispute.")
    response = FileResponse(
        found.attachment.file.open("rb"),
        content_type=found.attachment.content_type,
        as_attachment=True,
        filename=found.filename or found.attachment.sha256,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- the arbiter queue -------------------------------------------------------------------------------------------


@login_required
@require_safe
def arbiter_queue(request: HttpRequest) -> HttpResponse:
    """What an arbiter can take, soonest deadline first (or their own docket); claim buttons."""
    user = signed_in_user(request)
    require(user, "disputes.assign")  # arbiters and staff
    filters = dispute_forms.QueueFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    disputes = selectors.arbiter_queue(
        user=user,
        mine=chosen.get("view") == "mine",
        status=chosen.get("status", ""),
        agent=chosen.get("agent", ""),
        overdue=bool(chosen.get("overdue")),
    )
    page = paginate(request, disputes)
    now = timezone.now()
    for dispute in page.object_list:
        with_clock(dispute, now)
    context = {
        "filters": filters,
        "page": page,
        "mine": chosen.get("view") == "mine",
        "is_arbiter": bool(user.is_arbiter),
        "claimable": [s.value for s in (*AWAITING_ARBITER, Status.AWAITING_RESPONSE)],
    }
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "disputes/queue.html#queue-results", context)
    return render(request, "disputes/queue.html", context, status=400 if filters.errors else 200)


# --- precedent ---------------------------------------------------------------------------------------------------


@require_safe
def precedent(request: HttpRequest) -> HttpResponse:
    """Rulings as precedent, in their public form: by words, clause, metric and outcome."""
    filters = dispute_forms.PrecedentForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_bound and filters.is_valid() else {}
    rulings = precedent_search(
        user=request.user,
        q=chosen.get("q", "").strip(),
        clause_id=chosen.get("clause_id", "").strip(),
        metric=chosen.get("metric", "").strip(),
        outcome=chosen.get("outcome", ""),
    )
    page = paginate(request, rulings)
    context = {"filters": filters, "page": page, "rows": [public(r, request.user) for r in page.object_list]}
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        return render(request, "disputes/precedent.html#precedent-results", context)
    return render(request, "disputes/precedent.html", context, status=400 if filters.errors else 200)


# --- conflicts of interest -----------------------------------------------------------------------------------------


def _organizations() -> list[tuple[str, str]]:
    return [
        (slug, f"{name} ({kind})")
        for slug, name, kind in Organization.objects.order_by("name").values_list("slug", "name", "kind")
    ]


@login_required
@require_http_methods(["GET", "POST"])
def conflicts(request: HttpRequest) -> HttpResponse:
    """An arbiter's declared conflicts of interest (staff see everyone's); declaring one recuses them."""
    user = signed_in_user(request)
    can_declare = may(user, "disputes.declare_conflict")
    if not can_declare and role_of(user) is not Role.STAFF:
        raise Forbidden("Only arbiters declare conflicts of interest (staff may read them).")
    form = dispute_forms.ConflictForm(request.POST or None, organizations=_organizations())
    status = 200
    if request.method == "POST":
        require(user, "disputes.declare_conflict")
        status = 400
        if form.is_valid():
            try:
                conflict = conflict_services.conflict_declare(
                    user=user, organization=form.cleaned_data["organization"], note=form.cleaned_data["note"]
                )
            except DomainError as error:
                add_errors_to_form(form, error, default_field="organization")
                status = error.status
            else:
                messages.success(
                    request,
                    f"Conflict with {conflict.organization.name} declared: its disputes leave your queue "
                    "(and any you were assigned to go back to it).",
                )
                return redirect("disputes:conflicts")
    context = {
        "conflicts": list(conflict_services.conflict_list(user=user)),
        "form": form,
        "can_declare": can_declare,
    }
    return render(request, "disputes/conflicts.html", context, status=status)


@login_required
@require_POST
def conflict_delete(request: HttpRequest, conflict_id: int) -> HttpResponse:
    user = signed_in_user(request)
    conflict = conflict_services.conflict_get(user=user, conflict_id=conflict_id)
    conflict_services.conflict_remove(user=user, conflict=conflict)
    messages.success(request, f"Conflict with {conflict.organization.name} removed.")
    return redirect("disputes:conflicts")
