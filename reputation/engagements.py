"""Engagements: a buyer organization engages an agent under the pact version in force, and follows later ones.

Writes (``engagement_start``, ``engagement_end``, ``engagements_follow``) and the user-scoped reads. An engagement
is what a service credit is a percent of (``reputation.ledger``) and what gives a buyer standing to dispute.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Greatest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.permissions import require
from pacts.models import Agent, Pact, PactVersion
from pacts.selectors import version_in_force
from reputation import events
from reputation.models import Engagement
from trust_portal.errors import Conflict, DomainError, NotFound

CURRENCY = re.compile(r"[A-Z]{3}")
FEE_MAX = Decimal("999999999999.99")


class EngagementInvalid(DomainError):
    status = 400
    code = "engagement_invalid"
    title = "Invalid engagement"


class EngagementConflict(Conflict):
    code = "engagement_conflict"


# --- reads -------------------------------------------------------------------------------------------------------


def engagement_list(*, user: Any, agent: Agent | None = None, status: str = "") -> QuerySet[Engagement]:
    """The engagements the user may see (their organization's, their agents', or all for staff), newest first."""
    engagements = Engagement.objects.restrict(user, "view").select_related("agent", "buyer", "pact", "pact_version")
    if agent is not None:
        engagements = engagements.filter(agent=agent)
    today = timezone.localdate()
    if status == "active":
        engagements = engagements.filter(ended_at__isnull=True, starts_on__lte=today).exclude(ends_on__lt=today)
    elif status == "ended":
        engagements = engagements.filter(Q(ended_at__isnull=False) | Q(ends_on__lt=today))
    elif status == "scheduled":
        engagements = engagements.filter(ended_at__isnull=True, starts_on__gt=today)
    return engagements.order_by("-created_at", "-id")


def engagement_get(*, user: Any, engagement_id: int) -> Engagement:
    found = engagement_list(user=user).filter(pk=engagement_id).first()
    if found is None:
        raise NotFound("No such engagement.")
    return found


def engageable_pacts(*, agent: Agent, at: datetime | None = None) -> list[tuple[Pact, PactVersion]]:
    """The agent's pacts with a version in force (what an engagement can be made under)."""
    found = []
    for pact in Pact.objects.filter(agent=agent).order_by("id"):
        version = version_in_force(pact=pact, at=at)
        if version is not None:
            found.append((pact, version))
    return found


# --- writes ------------------------------------------------------------------------------------------------------


def _fee(value: Any) -> Decimal:
    if not isinstance(value, (str, Decimal)):
        raise EngagementInvalid('monthly_fee is a decimal string, e.g. "1200.00".', field="monthly_fee")
    try:
        fee = Decimal(value)
    except ArithmeticError:
        raise EngagementInvalid('monthly_fee is a decimal string, e.g. "1200.00".', field="monthly_fee") from None
    if not fee.is_finite() or fee < 0 or fee > FEE_MAX:
        raise EngagementInvalid("monthly_fee must be between 0 and 999999999999.99.", field="monthly_fee")
    if fee.as_tuple().exponent < -2:  # type: ignore[operator]
        raise EngagementInvalid("monthly_fee has at most two decimal places.", field="monthly_fee")
    return fee.quantize(Decimal("0.01"))


MAX_LEAD = timedelta(days=365)


def engagement_start(
    *,
    user: User,
    agent: Agent,
    monthly_fee: Any,
    currency: str,
    starts_on: date,
    ends_on: date | None = None,
    pact: Pact | None = None,
    now: datetime | None = None,
) -> Engagement:
    """The user's (buyer) organization engages ``agent`` under the version in force of ``pact`` (or of its only
    pact in force). Only an owner of a buyer organization may."""
    require(user, "reputation.start_engagement", agent)
    now = now or timezone.now()
    fee = _fee(monthly_fee)
    if not isinstance(currency, str) or not CURRENCY.fullmatch(currency):
        raise EngagementInvalid("currency is an ISO 4217 code: three capital letters, e.g. EUR.", field="currency")
    if ends_on is not None and ends_on < starts_on:
        raise EngagementInvalid("ends_on cannot be before starts_on.", field="ends_on")
    in_force = engageable_pacts(agent=agent, at=now)
    if pact is not None:
        chosen = [(p, v) for p, v in in_force if p.pk == pact.pk]
        if not chosen:
            raise EngagementInvalid("That pact has no version in force.", field="pact")
    elif len(in_force) > 1:
        raise EngagementInvalid(
            f"{agent.name} has {len(in_force)} pacts in force: name one in 'pact' "
            f"({', '.join(str(p.pk) for p, _ in in_force)}).",
            field="pact",
        )
    elif not in_force:
        raise EngagementConflict(f"{agent.name} has no pact version in force to engage it under.")
    else:
        chosen = in_force
    chosen_pact, version = chosen[0]
    if starts_on > timezone.localdate(now) + MAX_LEAD:
        raise EngagementInvalid(f"starts_on is at most {MAX_LEAD.days} days ahead.", field="starts_on")
    buyer = user.organization
    if buyer is None:  # the permission asked for a buyer owner: unreachable, but said plainly
        raise EngagementConflict("Only a member of a buyer organization can engage an agent.")
    with transaction.atomic():
        engagements_close_lapsed(now=now)
        if Engagement.objects.filter(buyer=buyer, pact=chosen_pact, ended_at__isnull=True).exists():
            raise EngagementConflict(f"{buyer.name} already has an open engagement of {agent.name} under this pact.")
        try:
            with transaction.atomic():
                engagement = Engagement.objects.create(
                    agent=agent,
                    buyer=buyer,
                    pact=chosen_pact,
                    pact_version=version,
                    monthly_fee=fee,
                    currency=currency,
                    starts_on=starts_on,
                    ends_on=ends_on,
                    created_by=user,
                    created_at=now,
                )
        except IntegrityError:  # a concurrent start won the unique constraint
            raise EngagementConflict(
                f"{buyer.name} already has an open engagement of {agent.name} under this pact."
            ) from None
    return engagement


def engagement_end(*, user: User, engagement: Engagement, now: datetime | None = None) -> Engagement:
    """active (or scheduled) → ended, by a conditional update: ending twice is a 409 naming the state."""
    require(user, "reputation.end_engagement", engagement)
    now = now or timezone.now()
    today = timezone.localdate(now)
    ended = (
        Engagement.objects.filter(pk=engagement.pk, ended_at__isnull=True)
        .exclude(ends_on__lt=today)
        .update(ended_at=now, ends_on=Greatest(F("starts_on"), Value(today)))  # a scheduled one ends unstarted
    )
    if ended != 1:
        raise EngagementConflict("This engagement is ended; only an active or scheduled engagement can be ended.")
    engagement.refresh_from_db()
    return engagement


def engagements_follow(*, version: PactVersion) -> int:
    """A version of a pact was published (``pacts.hooks.version_published``): open engagements under that pact
    move to the version now in force, and every engaged buyer is told (of a scheduled version too, with the day it
    takes effect; the sweep moves the engagement then, ``engagements_catch_up``). Returns how many moved."""
    pact = version.pact
    at = version.published_at or timezone.now()
    current = version_in_force(pact=pact, at=at)
    # The engagements made before this publication (one made since started under what was then in force).
    open_engagements = Engagement.objects.filter(pact=pact, ended_at__isnull=True, created_at__lt=at)
    buyers = sorted(set(open_engagements.values_list("buyer_id", flat=True)))
    if not buyers:
        return 0
    moved = 0
    if current is not None and current.pk == version.pk:
        moved = open_engagements.exclude(pact_version=version).update(pact_version=version)
        title = f"{pact.agent.name}: pact v{version.number} now in force for your engagement"
    else:
        when = version.effective_from.date().isoformat() if version.effective_from else "later"
        title = f"{pact.agent.name}: pact v{version.number} published, takes effect {when}"
    events.publish(
        "pact.published",
        agent=pact.agent,
        title=title[:200],
        url=reverse("pacts:version", args=[pact.pk, version.number]),
        data={
            "agent": pact.agent.slug,
            "pact": pact.pk,
            "pact_version": version.number,
            "content_hash": version.content_hash,
            "effective_from": version.effective_from.isoformat() if version.effective_from else None,
            "in_force": current is not None and current.pk == version.pk,
        },
        organizations=buyers,
    )
    return moved


def engagements_close_lapsed(*, now: datetime | None = None) -> int:
    """Engagements whose ``ends_on`` has passed are recorded as ended (so the buyer may engage the agent again)."""
    now = now or timezone.now()
    return Engagement.objects.filter(ended_at__isnull=True, ends_on__lt=timezone.localdate(now)).update(ended_at=now)


def engagements_catch_up(*, now: datetime | None = None) -> int:
    """Open engagements whose pact has a newer version in force than the one they follow move to it (a version
    published for a later day takes effect without a new publication). Idempotent."""
    now = now or timezone.now()
    moved = 0
    for pact_id in (
        Engagement.objects.filter(ended_at__isnull=True).values_list("pact_id", flat=True).distinct().order_by()
    ):
        current = version_in_force(pact=Pact.objects.get(pk=pact_id), at=now)
        if current is None:
            continue
        moved += Engagement.objects.filter(
            pact_id=pact_id, ended_at__isnull=True, pact_version__number__lt=current.number
        ).update(pact_version=current)
    return moved


def engagements_on_publish(version: PactVersion) -> None:
    """``pacts.hooks.version_published`` (called positionally, inside the publishing transaction)."""
    engagements_follow(version=version)
