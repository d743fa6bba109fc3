"""Every write to agents and pacts. Views, API, admin and commands all come through here."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.permissions import require
from accounts.services import notifications_create
from pacts import documents, hooks
from pacts.agent_card import agent_fields_from_card, card_errors
from pacts.diff import diff_documents
from pacts.errors import (
    DraftAlreadyExists,
    InvalidAgentCard,
    NothingToRetire,
    NothingToReview,
    PactDocumentInvalid,
    PactDocumentTooLarge,
    PactVersionNotDraft,
)
from pacts.models import Agent, Follow, Pact, PactClause, PactEvent, PactVersion
from pacts.selectors import version_in_force

# --- documents ------------------------------------------------------------------------------


def pact_document_load(raw: Any) -> dict[str, Any]:
    """A validated pact/v1 document from a dict or from JSON/YAML text; domain errors otherwise."""
    try:
        data = documents.parse_text(raw) if isinstance(raw, (str, bytes)) else raw
        return documents.validated(data)
    except documents.DocumentInvalid as error:
        raise PactDocumentInvalid.from_document_error(error) from None
    except documents.DocumentTooLarge as error:
        raise PactDocumentTooLarge.from_document_error(error) from None


# --- agents ------------------------------------------------------------------------------------


@transaction.atomic
def agent_create(
    *,
    user: User,
    name: str = "",
    slug: str = "",
    description: str = "",
    consequence_level: str = "medium",
    capabilities: list[str] | None = None,
    agent_card: dict[str, Any] | None = None,
) -> Agent:
    """Register an agent for the user's vendor organization; an A2A Agent Card may fill it."""
    require(user, "pacts.register_agent")
    organization = user.organization
    assert organization is not None
    version = ""
    if agent_card is not None:
        problems = card_errors(agent_card)
        if problems:
            raise InvalidAgentCard(
                problems[0].message,
                errors=[
                    {
                        "field": "agent_card" + p.path[1:],
                        "path": p.path,
                        "message": p.message,
                        "code": "invalid_agent_card",
                    }
                    for p in problems
                ],
            )
        from_card = agent_fields_from_card(agent_card)
        name = name or from_card["name"]
        description = description or from_card["description"]
        capabilities = capabilities if capabilities else from_card["capabilities"]
        version = from_card["version"]
    if not slug and name:
        from django.utils.text import slugify

        slug = slugify(name)[:80]
    agent = Agent(
        organization=organization,
        name=name,
        slug=slug,
        description=description,
        consequence_level=consequence_level,
        capabilities=list(capabilities or []),
        version=version,
        agent_card=agent_card,
    )
    agent.full_clean()
    try:
        with transaction.atomic():
            agent.save()
    except IntegrityError:
        raise ValidationError({"slug": "An agent with this slug already exists."}) from None
    return agent


@transaction.atomic
def agent_update(*, agent: Agent, user: User, **fields: Any) -> Agent:
    require(user, "pacts.edit_agent", agent)
    allowed = {"name", "description", "consequence_level", "capabilities"}
    for name, value in fields.items():
        if name not in allowed:
            raise ValidationError({name: "This field cannot be changed."})
        setattr(agent, name, value)
    agent.full_clean()
    agent.save()
    return agent


# --- pacts and versions -----------------------------------------------------------------------------


def _write_clauses(version: PactVersion) -> None:
    version.clauses.all().delete()
    PactClause.objects.bulk_create([PactClause(version=version, **row) for row in documents.clauses(version.document)])


def _event(
    pact: Pact,
    version: PactVersion | None,
    action: str,
    user: User | None,
    *,
    from_status: str = "",
    to_status: str = "",
    note: str = "",
    at: datetime | None = None,
) -> None:
    PactEvent.objects.create(
        pact=pact,
        version=version,
        action=action,
        actor=user,
        from_status=from_status,
        to_status=to_status,
        note=note,
        at=at or timezone.now(),
    )


@transaction.atomic
def pact_create(*, agent: Agent, user: User, title: str, document: Any, changelog: str = "") -> Pact:
    """A new pact for the agent, with its first draft version."""
    require(user, "pacts.author_pact", agent)
    data = pact_document_load(document)
    title = (title or data["title"]).strip()
    pact = Pact(agent=agent, title=title, created_by=user)
    pact.full_clean()
    pact.save()
    _event(pact, None, PactEvent.Action.CREATED, user, note=title)
    _draft_create(pact=pact, user=user, document=data, changelog=changelog)
    return pact


def _draft_create(*, pact: Pact, user: User, document: dict[str, Any], changelog: str) -> PactVersion:
    last = pact.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = PactVersion(
        pact=pact,
        number=last + 1,
        document=document,
        content_hash=documents.content_hash(document),
        changelog=changelog,
        created_by=user,
    )
    try:
        with transaction.atomic():
            version.save()
    except IntegrityError:
        raise DraftAlreadyExists(f"Pact {pact.pk} already has a draft; edit it or publish it first.") from None
    _write_clauses(version)
    _event(pact, version, PactEvent.Action.DRAFT_UPDATED, user, to_status="draft", note=f"v{version.number} drafted")
    return version


@transaction.atomic
def pact_version_create_draft(*, pact: Pact, user: User, document: Any, changelog: str = "") -> PactVersion:
    require(user, "pacts.author_pact", pact)
    data = pact_document_load(document)
    Pact.objects.select_for_update().get(pk=pact.pk)  # serialise version numbering per pact
    return _draft_create(pact=pact, user=user, document=data, changelog=changelog)


@transaction.atomic
def pact_version_update_draft(
    *, version: PactVersion, user: User, document: Any = None, changelog: str | None = None
) -> PactVersion:
    require(user, "pacts.author_pact", version)
    locked = PactVersion.objects.select_for_update().get(pk=version.pk)
    if not locked.is_draft:
        raise PactVersionNotDraft(f"Version {locked.number} is {locked.status}; publish a new version to change it.")
    if document is not None:
        locked.document = pact_document_load(document)
        locked.content_hash = documents.content_hash(locked.document)
    if changelog is not None:
        locked.changelog = changelog
    locked.updated_at = timezone.now()
    locked.save()
    if document is not None:
        _write_clauses(locked)
    _event(locked.pact, locked, PactEvent.Action.DRAFT_UPDATED, user, from_status="draft", to_status="draft")
    return locked


MAX_EFFECTIVE_DAYS = (
    90  # publishing promises something soon: a far-future date would leave the old version half in force
)


@transaction.atomic
def pact_version_publish(
    *,
    version: PactVersion,
    user: User,
    effective_from: datetime | None = None,
    changelog: str | None = None,
    now: datetime | None = None,
) -> PactVersion:
    """draft → published: freeze the version, supersede older ones, notify followers.

    ``now`` is the clock, for loading history (demo data, imports); it defaults to the present.
    """
    pact = version.pact
    require(user, "pacts.publish_version", version)
    now = now or timezone.now()
    effective_from = effective_from or now
    if effective_from < now - timedelta(minutes=5):
        raise ValidationError({"effective_from": "A version cannot take effect in the past."})
    if effective_from > now + timedelta(days=MAX_EFFECTIVE_DAYS):
        raise ValidationError(
            {"effective_from": f"A version takes effect within {MAX_EFFECTIVE_DAYS} days of its publication."}
        )
    locked = PactVersion.objects.select_for_update().get(pk=version.pk)
    if not locked.is_draft:
        raise PactVersionNotDraft(f"Version {locked.number} is already {locked.status}.")
    document = pact_document_load(locked.document)  # re-validate: the schema may have tightened since drafting
    review_by = effective_from + timedelta(days=document["review_every_days"])
    if changelog is not None:
        locked.changelog = changelog
    previous = version_in_force(pact=pact, at=effective_from)  # what this version replaces when it takes effect
    locked.status = PactVersion.Status.PUBLISHED
    locked.published_at = now
    locked.published_by = user
    locked.effective_from = effective_from
    locked.review_by = review_by
    locked.save()
    _event(
        pact,
        locked,
        PactEvent.Action.PUBLISHED,
        user,
        from_status="draft",
        to_status="published",
        note=locked.changelog,
        at=now,
    )

    for older in pact.versions.filter(status=PactVersion.Status.PUBLISHED, number__lt=locked.number):
        PactVersion.objects.filter(pk=older.pk, status=PactVersion.Status.PUBLISHED).update(
            status=PactVersion.Status.SUPERSEDED, superseded_at=effective_from
        )
        _event(
            pact,
            older,
            PactEvent.Action.SUPERSEDED,
            user,
            from_status="published",
            to_status="superseded",
            note=f"by v{locked.number}",
            at=now,
        )

    if effective_from <= now:
        # In force now: its review clock starts. A scheduled version's starts when it takes effect (its review_by,
        # see Pact.objects.with_review_due); until then the version in force keeps its own clock.
        Pact.objects.filter(pk=pact.pk).update(review_due_at=review_by, last_reviewed_at=now)
    _notify_followers(pact=pact, version=locked, previous=previous)
    for hook in hooks.version_published:
        hook(locked)
    return locked


def _notify_followers(*, pact: Pact, version: PactVersion, previous: PactVersion | None) -> None:
    followers = list(User.objects.filter(follows__agent_id=pact.agent_id, is_active=True))
    if not followers:
        return
    loosened: list[str] = []
    if previous is not None:
        loosened = [c.clause_id for c in diff_documents(previous.document, version.document).loosened]
    agent = pact.agent
    title = f"{agent.name}: “{pact.title}” v{version.number} published"
    body = f"Version {version.number} of “{pact.title}” takes effect {version.effective_from:%Y-%m-%d %H:%M} UTC."
    if loosened:
        body += " Loosened clauses: " + ", ".join(loosened) + "."
    elif previous is not None:
        body += " No clause was loosened."
    url = reverse("pacts:version", args=[pact.pk, version.number])
    if previous is not None:
        url = reverse("pacts:diff", args=[pact.pk]) + f"?from={previous.number}&to={version.number}"
    notifications_create(recipients=followers, kind="pact_version_published", title=title, body=body, url=url)
    from pacts.tasks import email_followers_of_version

    email_followers_of_version.delay_on_commit(version.pk, loosened)


@transaction.atomic
def pact_review(*, pact: Pact, user: User, note: str = "", now: datetime | None = None) -> Pact:
    """The vendor confirms the pact in force still holds: the review clock restarts."""
    require(user, "pacts.review_pact", pact)
    now = now or timezone.now()
    locked = Pact.objects.select_for_update().get(pk=pact.pk)
    current = version_in_force(pact=locked, at=now)
    if current is None:
        raise NothingToReview("Publish a version before reviewing the pact.")
    locked.review_due_at = now + timedelta(days=current.document["review_every_days"])
    locked.last_reviewed_at = now
    locked.save(update_fields=["review_due_at", "last_reviewed_at"])
    _event(locked, current, PactEvent.Action.REVIEWED, user, note=note, at=now)
    return locked


@transaction.atomic
def pact_retire(*, pact: Pact, user: User, note: str = "") -> Pact:
    """Withdraw the pact: every version in force is retired; nothing is promised any more."""
    require(user, "pacts.retire_pact", pact)
    now = timezone.now()
    in_force = list(
        pact.versions.select_for_update().filter(
            status__in=[PactVersion.Status.PUBLISHED, PactVersion.Status.SUPERSEDED]
        )
    )
    if not in_force:
        raise NothingToRetire("Nothing of this pact is published: there is nothing to retire.")
    for version in in_force:
        PactVersion.objects.filter(pk=version.pk).update(status=PactVersion.Status.RETIRED, retired_at=now)
        _event(
            pact, version, PactEvent.Action.RETIRED, user, from_status=version.status, to_status="retired", note=note
        )
    Pact.objects.filter(pk=pact.pk).update(review_due_at=None)
    pact.refresh_from_db()
    return pact


# --- follows ----------------------------------------------------------------------------------------


def agent_follow(*, agent: Agent, user: User) -> Follow:
    require(user, "pacts.follow_agent", agent)
    follow, _ = Follow.objects.get_or_create(agent=agent, user=user)
    return follow


def agent_unfollow(*, agent: Agent, user: User) -> None:
    Follow.objects.filter(agent=agent, user=user).delete()
