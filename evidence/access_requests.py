"""Access requests to restricted evidence (SafeBase's pattern): a buyer asks with a reason, the vendor's owners
approve (for 1–365 days, optionally behind an NDA the buyer accepts by clickwrap) or deny with a reason, revoke and
reactivate; auto-approval rules per agent; the access log of restricted records seen; expiry reminders.

Every decision is a named transition under a row lock on the request, checked against its current status (with
time applied, ``AccessRequest.current_status``), and writes one ``AccessRequestEvent``. An approval opens (or
extends) the organization's ``AccessGrant`` for the agent: the grant is what every read path checks
(``evidence.rules.active_grants``), so its expiry is enforced wherever restricted evidence is read.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Organization, User
from accounts.permissions import may, require
from accounts.rules import home_membership, membership_of
from evidence import hooks
from evidence.errors import AccessRequestInvalid, AccessRequestPending, AccessRequestStateConflict
from evidence.models import (
    AccessGrant,
    AccessLogEntry,
    AccessRequest,
    AccessRequestEvent,
    AccessRule,
    EvidenceRecord,
    Visibility,
)
from evidence.rules import active_grants
from pacts.models import Agent
from trust_portal.errors import NotFound

Status = AccessRequest.Status

DEFAULT_TERM_DAYS = 30
MAX_TERM_DAYS = 365
REASON_LIMIT = 2000
NDA_LIMIT = 20_000
DOMAINS_LIMIT = 50
REMIND_WITHIN = timedelta(days=7)
_DOMAIN = re.compile(r"(?=.{1,253}\Z)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]\Z")


# --- input -----------------------------------------------------------------------------------------------------


def _text(value: Any, *, field: str, limit: int, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise AccessRequestInvalid(field, "Expected text.", "invalid_type")
    text = value.strip()
    if required and not text:
        raise AccessRequestInvalid(field, "Required: say why.", "required")
    if len(text) > limit:
        raise AccessRequestInvalid(field, f"At most {limit:,} characters ({len(text):,} given).", "max_length")
    return text


def _term(value: Any, *, field: str = "expires_in_days") -> int:
    if value is None:
        return DEFAULT_TERM_DAYS
    if isinstance(value, bool) or not isinstance(value, int):
        raise AccessRequestInvalid(field, "Expected a whole number of days.", "invalid_type")
    if not 1 <= value <= MAX_TERM_DAYS:
        raise AccessRequestInvalid(field, f"From 1 to {MAX_TERM_DAYS} days ({value} given).", "out_of_range")
    return value


def clean_domains(values: Any, *, field: str = "email_domains") -> list[str]:
    """Lower-cased host names (a leading ``@`` is forgiven), each once, at most 50; anything else is a 400."""
    if values is None:
        return []
    if not isinstance(values, list | tuple):
        raise AccessRequestInvalid(field, "Expected a list of domains.", "invalid_type")
    if len(values) > DOMAINS_LIMIT:
        raise AccessRequestInvalid(field, f"At most {DOMAINS_LIMIT} domains ({len(values)} given).", "max_length")
    domains: list[str] = []
    for index, raw in enumerate(values):
        if not isinstance(raw, str):
            raise AccessRequestInvalid(f"{field}.{index}", "Expected a domain name.", "invalid_type")
        domain = raw.strip().lower().removeprefix("@")
        if not _DOMAIN.match(domain):
            raise AccessRequestInvalid(
                f"{field}.{index}", f"{raw[:80]!r} is not a domain name such as example.com.", "invalid_domain"
            )
        if domain not in domains:
            domains.append(domain)
    return domains


def nda_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# --- reads -----------------------------------------------------------------------------------------------------


def status_filter(status: str, *, now: datetime | None = None) -> Q:
    """The requests whose ``current_status`` is ``status``, as SQL (the grant's expiry and revocation applied)."""
    now = now or timezone.now()
    live_grant = Q(grant__revoked_at__isnull=True) & (Q(grant__expires_at__isnull=True) | Q(grant__expires_at__gt=now))
    approved = Q(status=Status.APPROVED)
    return {
        Status.PENDING: Q(status=Status.PENDING),
        Status.DENIED: Q(status=Status.DENIED),
        Status.APPROVED: approved & (Q(grant__isnull=True) | live_grant),
        Status.EXPIRED: approved & Q(grant__revoked_at__isnull=True, grant__expires_at__lte=now),
        Status.REVOKED: Q(status=Status.REVOKED) | (approved & Q(grant__revoked_at__isnull=False)),
    }[Status(status)]


def access_request_list(*, user: Any, status: str = "", agent: Agent | None = None) -> QuerySet[AccessRequest]:
    """The caller's requests: a buyer's own organization's, a vendor's incoming ones (nothing for anyone else)."""
    requests = AccessRequest.objects.restrict(user, "view").select_related(
        "agent__organization", "organization", "requested_by", "decided_by", "nda_accepted_by", "grant"
    )
    if agent is not None:
        requests = requests.filter(agent=agent)
    if status:
        requests = requests.filter(status_filter(status))
    return requests


def pending_first(requests: QuerySet[AccessRequest]) -> QuerySet[AccessRequest]:
    return requests.annotate(
        waiting=Case(When(status=Status.PENDING, then=Value(0)), default=Value(1), output_field=IntegerField())
    ).order_by("waiting", "-created_at", "-id")


def access_request_get(*, user: Any, request_id: int) -> AccessRequest:
    found = access_request_list(user=user).prefetch_related("events__actor").filter(pk=request_id).first()
    if found is None:
        raise NotFound("No such access request.")
    return found


def actions_for(user: Any, access_request: AccessRequest) -> list[str]:
    """What the caller may do with the request now (the API's ``actions``; the pages' buttons)."""
    current = access_request.current_status
    actions: list[str] = []
    if may(user, "evidence.decide_access_request", access_request):
        if current == Status.PENDING:
            actions += ["approve", "deny"]
        elif current == Status.APPROVED:
            actions.append("revoke")
        elif current in (Status.EXPIRED, Status.REVOKED):
            actions.append("reactivate")
    if access_request.awaiting_nda and current == Status.APPROVED and may(user, "evidence.accept_nda", access_request):
        actions.append("accept-nda")
    return actions


def access_rule_get(*, user: Any, agent: Agent) -> AccessRule | None:
    require(user, "evidence.view_access_rules", agent)
    return AccessRule.objects.filter(agent=agent).select_related("updated_by").first()


def access_log_list(*, user: Any, agent: Agent) -> QuerySet[AccessLogEntry]:
    require(user, "evidence.view_access_log", agent)
    return (
        AccessLogEntry.objects.restrict(user, "view")
        .filter(agent=agent)
        .select_related("user", "organization", "record")
        .order_by("-at", "-id")
    )


# --- the access log --------------------------------------------------------------------------------------------


def access_log_write(
    *,
    user: Any,
    agent: Agent,
    record_ids: Iterable[int],
    via: str = AccessLogEntry.Via.RECORD,
    known_restricted: bool = False,
) -> int:
    """Log that ``user`` saw these records of ``agent`` (only the restricted ones): one INSERT for them all.

    The vendor's own people (sessions and their tokens, CI tokens included) are not logged: it is their evidence.
    Called where one record is read (``evidence.selectors.evidence_get``: the record page and API, its proof, its
    attachment) and for bundles; list pages are not logged (see docs/evidence.md, "Access requests").
    """
    if not getattr(user, "is_authenticated", False):
        return 0
    membership = home_membership(user)
    organization_id = membership.organization_id if membership else None
    if organization_id == agent.organization_id:
        return 0
    ids = list(record_ids)
    if not known_restricted and ids:
        ids = list(
            EvidenceRecord.objects.filter(pk__in=ids, agent=agent, visibility=Visibility.RESTRICTED).values_list(
                "pk", flat=True
            )
        )
    if not ids:
        return 0
    now = timezone.now()
    AccessLogEntry.objects.bulk_create(
        [
            AccessLogEntry(agent=agent, record_id=pk, user=user, organization_id=organization_id, via=via, at=now)
            for pk in ids
        ],
        batch_size=1000,
    )
    return len(ids)


# --- transitions -----------------------------------------------------------------------------------------------


def _event(access_request: AccessRequest, *, actor: User | None, before: str, after: str, note: str = "") -> None:
    AccessRequestEvent.objects.create(
        request=access_request, actor=actor, from_status=before, to_status=after, note=note[:2000]
    )


def _owners_of(organization_id: int) -> list[User]:
    return list(
        User.objects.filter(
            membership__organization_id=organization_id, membership__role=Membership.Role.OWNER, is_active=True
        )
    )


def _notify(recipients: list[User], *, kind: str, title: str, body: str = "") -> None:
    from accounts.services import notifications_create

    if recipients:
        notifications_create(
            recipients=recipients, kind=kind, title=title, body=body, url=reverse("evidence:access_requests")
        )


def _locked(access_request: AccessRequest) -> AccessRequest:
    """The request's row, locked for this transaction and read afresh (a racing decision waits, then sees ours).

    Locked first, read after, in two statements: PostgreSQL rechecks a row it waited for against the version
    committed meanwhile, but the rows joined to it are read as of the statement's start, so a grant the winner
    created would be missing beside the ``grant_id`` it set (READ COMMITTED: the second statement sees it)."""
    AccessRequest.objects.select_for_update().filter(pk=access_request.pk).values_list("pk").first()
    return AccessRequest.objects.select_related("agent", "organization", "grant").get(pk=access_request.pk)


def _refuse(access_request: AccessRequest, action: str) -> AccessRequestStateConflict:
    current = access_request.current_status
    detail = f"Cannot {action} a request that is {current}."
    if access_request.awaiting_nda and action == "reactivate":
        detail += " It is approved and waits for the buyer to accept the NDA."
    return AccessRequestStateConflict(detail, errors=[{"field": "status", "message": current, "code": current}])


def _grant_open(access_request: AccessRequest, *, granted_by: User, days: int, now: datetime) -> AccessGrant:
    """The organization's active grant for the agent, extended to ``days`` from now if that is later; else a new
    grant. Extending clears the expiry reminder, so the new expiry is announced in its turn."""
    expires_at = now + timedelta(days=days)
    Agent.objects.select_for_update().filter(pk=access_request.agent_id).first()  # one grant decision per agent
    current = (
        AccessGrant.objects.select_for_update()
        .filter(active_grants(), agent_id=access_request.agent_id, organization_id=access_request.organization_id)
        .order_by("-created_at", "-id")
        .first()
    )
    if current is not None:
        if current.expires_at is not None and current.expires_at < expires_at:
            current.expires_at = expires_at
            current.expiry_reminded_at = None
            current.save(update_fields=["expires_at", "expiry_reminded_at"])
        return current
    return AccessGrant.objects.create(
        agent_id=access_request.agent_id,
        organization_id=access_request.organization_id,
        granted_by=granted_by,
        expires_at=expires_at,
        note=f"Access request #{access_request.pk}",
    )


def _approve(
    access_request: AccessRequest,
    *,
    actor: User | None,
    decided_by: User,
    days: int,
    nda: str,
    auto_rule: str = "",
    now: datetime,
) -> AccessRequest:
    access_request.status = Status.APPROVED
    access_request.decided_at = now
    access_request.decided_by = decided_by
    access_request.auto_rule = auto_rule
    access_request.expires_in_days = days
    access_request.nda_text = nda
    access_request.nda_sha256 = nda_hash(nda) if nda else ""
    if not nda:
        access_request.grant = _grant_open(access_request, granted_by=decided_by, days=days, now=now)
    access_request.save()
    how = f"automatically ({AccessRequest.AutoRule(auto_rule).label.lower()})" if auto_rule else "by the vendor"
    note = f"Approved {how} for {days} days" + ("; the buyer must accept the NDA first." if nda else ".")
    _event(access_request, actor=actor, before=Status.PENDING, after=Status.APPROVED, note=note)
    _notify(
        [access_request.requested_by],
        kind="access.approved",
        title=f"Access to {access_request.agent.name}'s restricted evidence approved",
        body=note + (" Accept the NDA on your access requests page." if nda else ""),
    )
    return access_request


def _auto_rule_for(access_request: AccessRequest) -> tuple[AccessRule | None, str]:
    """The agent's rules, and which of them approves this request ("" when none does)."""
    rule = AccessRule.objects.filter(agent_id=access_request.agent_id).select_related("updated_by").first()
    if rule is None:
        return None, ""
    if rule.engaged_buyers and hooks.is_engaged(access_request.agent_id, access_request.organization_id):
        return rule, AccessRequest.AutoRule.ENGAGED_BUYERS
    if rule.email_domains:
        emails = list(
            User.objects.filter(membership__organization_id=access_request.organization_id).values_list(
                "email", flat=True
            )
        )
        allowed = set(rule.email_domains)
        if emails and all(e and "@" in e and e.rsplit("@", 1)[1].lower() in allowed for e in emails):
            return rule, AccessRequest.AutoRule.EMAIL_DOMAIN
    return rule, ""


@transaction.atomic
def access_request_create(*, user: User, agent: Agent, reason: Any, now: datetime | None = None) -> AccessRequest:
    """A buyer asks to see the agent's restricted evidence; approved at once when one of the agent's rules says so."""
    require(user, "evidence.request_access", agent)
    reason = _text(reason, field="reason", limit=REASON_LIMIT, required=True)
    membership = membership_of(user)
    assert membership is not None  # evidence.request_access: a buyer organization's member
    now = now or timezone.now()
    try:
        with transaction.atomic():  # a savepoint: the one-pending constraint decides a race
            access_request = AccessRequest.objects.create(
                agent=agent,
                organization_id=membership.organization_id,
                requested_by=user,
                reason=reason,
                created_at=now,
            )
    except IntegrityError:
        raise AccessRequestPending(
            f"{membership.organization.name} has a pending request for {agent.name} already: wait for the decision."
        ) from None
    _event(access_request, actor=user, before="", after=Status.PENDING, note=reason)
    rule, matched = _auto_rule_for(access_request)
    if rule is not None and matched:
        return _approve(
            access_request,
            actor=None,
            decided_by=rule.updated_by,
            days=rule.expires_in_days,
            nda=rule.nda,
            auto_rule=matched,
            now=now,
        )
    _notify(
        _owners_of(agent.organization_id),
        kind="access.requested",
        title=f"{membership.organization.name} requests access to {agent.name}'s restricted evidence",
        body=reason[:500],
    )
    return access_request


@transaction.atomic
def access_request_approve(
    *,
    user: User,
    access_request: AccessRequest,
    expires_in_days: Any = None,
    nda: Any = "",
    now: datetime | None = None,
) -> AccessRequest:
    require(user, "evidence.decide_access_request", access_request)
    days = _term(expires_in_days)
    text = _text(nda, field="nda", limit=NDA_LIMIT, required=False)
    access_request = _locked(access_request)
    if access_request.current_status != Status.PENDING:
        raise _refuse(access_request, "approve")
    return _approve(access_request, actor=user, decided_by=user, days=days, nda=text, now=now or timezone.now())


@transaction.atomic
def access_request_deny(
    *, user: User, access_request: AccessRequest, reason: Any, now: datetime | None = None
) -> AccessRequest:
    require(user, "evidence.decide_access_request", access_request)
    text = _text(reason, field="reason", limit=REASON_LIMIT, required=True)
    access_request = _locked(access_request)
    if access_request.current_status != Status.PENDING:
        raise _refuse(access_request, "deny")
    access_request.status = Status.DENIED
    access_request.decided_at = now or timezone.now()
    access_request.decided_by = user
    access_request.denial_reason = text
    access_request.save()
    _event(access_request, actor=user, before=Status.PENDING, after=Status.DENIED, note=text)
    _notify(
        [access_request.requested_by],
        kind="access.denied",
        title=f"Access to {access_request.agent.name}'s restricted evidence denied",
        body=text[:500],
    )
    return access_request


@transaction.atomic
def access_request_revoke(*, user: User, access_request: AccessRequest, now: datetime | None = None) -> AccessRequest:
    """Ends an approved request's access at once (its grant is revoked); reactivating it gives a fresh term."""
    require(user, "evidence.decide_access_request", access_request)
    access_request = _locked(access_request)
    if access_request.current_status != Status.APPROVED:
        raise _refuse(access_request, "revoke")
    now = now or timezone.now()
    if access_request.grant_id is not None:
        AccessGrant.objects.filter(pk=access_request.grant_id, revoked_at__isnull=True).update(revoked_at=now)
    access_request.status = Status.REVOKED
    access_request.revoked_at = now
    access_request.revoked_by = user
    access_request.save()
    _event(access_request, actor=user, before=Status.APPROVED, after=Status.REVOKED, note="Access revoked.")
    _notify(
        [access_request.requested_by],
        kind="access.revoked",
        title=f"Access to {access_request.agent.name}'s restricted evidence revoked",
    )
    return access_request


@transaction.atomic
def access_request_reactivate(
    *, user: User, access_request: AccessRequest, expires_in_days: Any = None, now: datetime | None = None
) -> AccessRequest:
    """A revoked or expired request approved again for a fresh term (an NDA accepted before stays accepted; one
    never accepted must be accepted first)."""
    require(user, "evidence.decide_access_request", access_request)
    days = _term(expires_in_days)
    access_request = _locked(access_request)
    before = access_request.current_status
    if before not in (Status.EXPIRED, Status.REVOKED):
        raise _refuse(access_request, "reactivate")
    now = now or timezone.now()
    access_request.status = Status.APPROVED
    access_request.expires_in_days = days
    access_request.revoked_at = None
    access_request.revoked_by = None
    access_request.grant = None
    if not access_request.nda_text or access_request.nda_accepted_at is not None:
        access_request.grant = _grant_open(access_request, granted_by=user, days=days, now=now)
    access_request.save()
    note = f"Reactivated for {days} days" + (
        "; the buyer must accept the NDA first." if access_request.grant is None else "."
    )
    _event(access_request, actor=user, before=before, after=Status.APPROVED, note=note)
    _notify(
        [access_request.requested_by],
        kind="access.approved",
        title=f"Access to {access_request.agent.name}'s restricted evidence reactivated",
        body=note,
    )
    return access_request


@transaction.atomic
def access_request_accept_nda(
    *,
    user: User,
    access_request: AccessRequest,
    address: str,
    nda_sha256: Any = None,
    now: datetime | None = None,
) -> AccessRequest:
    """The buyer's clickwrap: who accepted, when, from which address, and the SHA-256 of the text accepted; the
    grant opens now, for the approved term. ``nda_sha256``, when given, must be the hash of the text shown."""
    require(user, "evidence.accept_nda", access_request)
    if nda_sha256 is not None and not isinstance(nda_sha256, str):
        raise AccessRequestInvalid("nda_sha256", "Expected the hex SHA-256 of the NDA text.", "invalid_type")
    access_request = _locked(access_request)
    if access_request.current_status != Status.APPROVED or not access_request.awaiting_nda:
        current = access_request.current_status
        what = "has no NDA to accept" if not access_request.nda_text else "had its NDA accepted already"
        if current != Status.APPROVED:
            raise _refuse(access_request, "accept the NDA of")
        raise AccessRequestStateConflict(
            f"This request {what}.", errors=[{"field": "status", "message": current, "code": current}]
        )
    if nda_sha256 is not None and nda_sha256.strip().lower() != access_request.nda_sha256:
        raise AccessRequestInvalid(
            "nda_sha256", "The NDA changed since you read it: read it again and accept that text.", "nda_mismatch"
        )
    now = now or timezone.now()
    access_request.nda_accepted_at = now
    access_request.nda_accepted_by = user
    access_request.nda_accepted_address = address[:64]
    assert access_request.decided_by is not None  # approved requests record who decided
    access_request.grant = _grant_open(
        access_request, granted_by=access_request.decided_by, days=access_request.expires_in_days or 30, now=now
    )
    access_request.save()
    _event(
        access_request,
        actor=user,
        before=Status.APPROVED,
        after=Status.APPROVED,
        note=f"NDA accepted (SHA-256 {access_request.nda_sha256}); access opens for {access_request.expires_in_days} days.",
    )
    _notify(
        _owners_of(access_request.agent.organization_id),
        kind="access.nda_accepted",
        title=f"{access_request.organization.name} accepted the NDA for {access_request.agent.name}",
    )
    return access_request


# --- the vendor's rules -------------------------------------------------------------------------------------------


@transaction.atomic
def access_rule_set(
    *,
    user: User,
    agent: Agent,
    engaged_buyers: Any,
    email_domains: Any,
    expires_in_days: Any = None,
    nda: Any = "",
) -> AccessRule:
    """Replace the agent's auto-approval rules (PUT semantics). They decide requests made from now on."""
    require(user, "evidence.manage_access_rules", agent)
    if not isinstance(engaged_buyers, bool):
        raise AccessRequestInvalid("engaged_buyers", "Expected true or false.", "invalid_type")
    domains = clean_domains(email_domains)
    days = _term(expires_in_days)
    text = _text(nda, field="nda", limit=NDA_LIMIT, required=False)
    rule, _ = AccessRule.objects.update_or_create(
        agent=agent,
        defaults={
            "engaged_buyers": engaged_buyers,
            "email_domains": domains,
            "expires_in_days": days,
            "nda": text,
            "updated_at": timezone.now(),
            "updated_by": user,
        },
    )
    return rule


# --- reminders -----------------------------------------------------------------------------------------------


def access_grants_remind_expiring(*, now: datetime | None = None) -> int:
    """Tell the vendor's owners, once per grant, that it expires within 7 days; returns how many grants.

    Each grant is claimed by a conditional UPDATE (``expiry_reminded_at`` from null), so two workers running the
    task at once remind once; extending a grant clears the mark (``_grant_open``)."""
    now = now or timezone.now()
    due = (
        AccessGrant.objects.filter(
            revoked_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=now + REMIND_WITHIN,
            expiry_reminded_at__isnull=True,
        )
        .select_related("agent", "organization")
        .order_by("expires_at")
    )
    reminded = 0
    for grant in due:
        with transaction.atomic():
            claimed = AccessGrant.objects.filter(pk=grant.pk, expiry_reminded_at__isnull=True).update(
                expiry_reminded_at=now
            )
            if not claimed:
                continue
            assert grant.expires_at is not None
            days = max(0, (grant.expires_at - now).days)
            _notify(
                _owners_of(grant.agent.organization_id),
                kind="access.expiring",
                title=f"{grant.organization.name}'s access to {grant.agent.name} expires {grant.expires_at:%Y-%m-%d}",
                body=f"In {days} day{'s' if days != 1 else ''}: reactivate or approve a new request to extend it.",
            )
            reminded += 1
    return reminded


def organization_of(user: Any) -> Organization | None:
    membership = membership_of(user)
    return membership.organization if membership else None
