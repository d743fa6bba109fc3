"""Every write to accounts: organizations, members, API tokens, sign-in throttling."""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.text import slugify

from accounts.errors import AlreadyMember, InvitationUnusable, LastOwner
from accounts.models import ApiToken, Invitation, Membership, Organization, User
from accounts.permissions import require
from accounts.rules import TokenScope
from trust_portal.db import Columns, PreparedQuery
from trust_portal.errors import DomainError, NotFound, TooManyAttempts

TOKEN_PREFIX = "tp_"
TOKEN_DISPLAY_CHARS = 10
LAST_USED_RESOLUTION = timedelta(seconds=60)


class InvalidCredentials(DomainError):
    status = 400
    code = "invalid_credentials"
    title = "Invalid credentials"

    def __init__(self) -> None:
        # One message whether or not the user exists.
        super().__init__("The username or password is not correct.")


# --- organizations and members ------------------------------------------------


def organization_get_or_create(*, name: str, kind: str) -> tuple[Organization, bool]:
    """Find the organization by name, or create it; refuse to change the kind of an existing one."""
    if kind not in Organization.Kind.values:
        raise ValidationError(
            {"kind": f"Unknown kind {kind!r}; expected one of {', '.join(Organization.Kind.values)}."}
        )
    existing = Organization.objects.filter(name=name).first()
    if existing is not None:
        if existing.kind != kind:
            raise ValidationError({"kind": f"Organization {name!r} already exists as a {existing.kind}."})
        return existing, False
    organization = Organization(name=name, slug=_unique_slug(name), kind=kind)
    organization.full_clean()
    organization.save()
    return organization, True


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "org"
    slug, n = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def member_create(
    *,
    username: str,
    password: str | None,
    organization: Organization | None = None,
    role: str = Membership.Role.MEMBER,
    is_arbiter: bool = False,
    is_staff: bool = False,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create a user, in an organization (vendor or buyer side) or as a platform arbiter."""
    if is_arbiter and organization is not None:
        raise ValidationError({"organization": "An arbiter belongs to no party organization."})
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": f"A user named {username!r} already exists."})
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        is_arbiter=is_arbiter,
        is_staff=is_staff,
    )
    if password:
        from django.contrib.auth.password_validation import validate_password

        validate_password(password, user)
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    if organization is not None:
        membership = Membership(user=user, organization=organization, role=role)
        membership.full_clean()
        membership.save()
    return user


# --- invitations, roles, leaving ------------------------------------------------------------

INVITATION_DAYS = 7
INVITATION_PREFIX = "inv_"


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    secret: str  # the link's secret: shown once, never stored


@transaction.atomic
def invitation_create(
    *, user: User, organization: Organization | None, role: str = "member", note: str = ""
) -> IssuedInvitation:
    """An owner invites someone (as member or owner): a single-use link valid for seven days."""
    require(user, "accounts.manage_members", organization)
    assert organization is not None  # require() refused anyone who owns no organization
    if role not in Membership.Role.values:
        raise ValidationError({"role": f"Expected one of {', '.join(Membership.Role.values)}."})
    secret = INVITATION_PREFIX + secrets.token_urlsafe(32)
    invitation = Invitation(
        organization=organization,
        role=role,
        note=note.strip()[:200],
        digest=token_digest(secret),
        created_by=user,
        expires_at=timezone.now() + timedelta(days=INVITATION_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    return IssuedInvitation(invitation=invitation, secret=secret)


def invitation_revoke(*, user: User, invitation: Invitation) -> Invitation:
    require(user, "accounts.manage_members", invitation)
    Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    invitation.refresh_from_db()
    return invitation


def invitation_for_secret(secret: str) -> Invitation:
    """The invitation a link names, whatever its state (NotFound if none: the link was mistyped)."""
    found = None
    if secret.startswith(INVITATION_PREFIX) and len(secret) <= 100:
        found = Invitation.objects.select_related("organization").filter(digest=token_digest(secret)).first()
    if found is None:
        raise NotFound("No such invitation: check the link you were sent.")
    return found


@transaction.atomic
def invitation_accept(
    *, secret: str, user: User | None = None, username: str = "", password: str = "", email: str = ""
) -> User:
    """Join the organization through an invitation link: as a new account, or as a signed-in user who
    belongs to no organization yet. Single use: exactly one acceptance wins a race."""
    invitation = invitation_for_secret(secret)
    creator_still_owner = Membership.objects.filter(
        user_id=invitation.created_by_id, organization_id=invitation.organization_id, role=Membership.Role.OWNER
    ).exists()
    if invitation.status == "pending" and not creator_still_owner:
        raise InvitationUnusable(
            f"This invitation is no longer valid: whoever made it is no longer an owner of {invitation.organization.name}."
        )
    if invitation.status != "pending":
        raise InvitationUnusable(
            f"This invitation is {invitation.status}; ask an owner of {invitation.organization.name} for a new one."
        )
    if user is not None and user.is_authenticated:
        if user.membership_or_none is not None:
            raise AlreadyMember(f"You already belong to {user.organization}; an account belongs to one organization.")
        if user.is_arbiter or user.is_staff:
            raise AlreadyMember("Platform roles (arbiters and staff) belong to no party organization.")
        membership = Membership(user=user, organization=invitation.organization, role=invitation.role)
        membership.full_clean()
        membership.save()
        member = user
    else:
        member = member_create(
            username=username.strip(),
            password=password,
            email=email.strip(),
            organization=invitation.organization,
            role=invitation.role,
        )
    claimed = Invitation.objects.filter(pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True).update(
        accepted_at=timezone.now(), accepted_by=member
    )
    if claimed != 1:  # someone else used it a moment ago: undo this account
        raise InvitationUnusable("This invitation was used a moment ago.")
    return member


def _lock_owners(organization_id: int) -> int:
    """Lock the organization's row (serialising role changes) and count its owners."""
    Organization.objects.select_for_update().filter(pk=organization_id).first()
    return Membership.objects.filter(organization_id=organization_id, role=Membership.Role.OWNER).count()


@transaction.atomic
def membership_set_role(*, user: User, membership: Membership, role: str) -> Membership:
    require(user, "accounts.manage_members", membership)
    if role not in Membership.Role.values:
        raise ValidationError({"role": f"Expected one of {', '.join(Membership.Role.values)}."})
    owners = _lock_owners(membership.organization_id)
    current = Membership.objects.get(pk=membership.pk)
    if current.role == Membership.Role.OWNER and role != Membership.Role.OWNER and owners <= 1:
        raise LastOwner("The last owner cannot be demoted: make another member an owner first.")
    Membership.objects.filter(pk=membership.pk).update(role=role)
    if role != Membership.Role.OWNER:
        _revoke_invitations_by(current)
    current.refresh_from_db()
    return current


def _revoke_invitations_by(membership: Membership) -> None:
    """An owner who stops being one takes their pending invitations with them."""
    Invitation.objects.pending().filter(
        created_by_id=membership.user_id, organization_id=membership.organization_id
    ).update(revoked_at=timezone.now())


@transaction.atomic
def membership_remove(*, user: User, membership: Membership) -> None:
    """An owner removes a member, or a member leaves; the last owner can do neither. Their tokens are revoked."""
    require(user, "accounts.remove_member", membership)
    owners = _lock_owners(membership.organization_id)
    current = Membership.objects.filter(pk=membership.pk).first()
    if current is None:
        return
    if current.role == Membership.Role.OWNER and owners <= 1:
        raise LastOwner("The last owner cannot leave or be removed: make another member an owner first.")
    ApiToken.objects.filter(user_id=current.user_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    _revoke_invitations_by(current)
    current.delete()


# --- API tokens -----------------------------------------------------------------


def token_digest(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    plaintext: str  # shown once, never stored


def api_token_create(
    *, user: User, name: str, read_only: bool = False, expires_at: datetime | None = None
) -> IssuedToken:
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Give the token a name so you can recognise it later."})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must be in the future."})
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name[:100],
        prefix=plaintext[:TOKEN_DISPLAY_CHARS],
        digest=token_digest(plaintext),
        read_only=read_only,
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    return IssuedToken(token=token, plaintext=plaintext)


def api_token_revoke(*, token: ApiToken, user: User) -> ApiToken:
    """Revoke a token: the holder's own, or any of the organization's for an owner (idempotent)."""
    require(user, "accounts.manage_tokens", token)
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db(fields=["revoked_at"])
    return token


# What the permission rules read of a caller (``accounts.rules``: ids, flags, the membership's role and
# organization): a hot path that only checks permissions reads no more (the rest is deferred, as with ``only()``).
LEAN_CALLER = (
    ("id", "user", "read_only", "expires_at", "last_used_at", "revoked_at"),
    ("id", "username", "is_superuser", "is_staff", "is_active", "is_arbiter"),
    ("id", "user", "organization", "role"),
    ("id", "name", "slug", "kind"),
)


@functools.cache
def _token_reading(lean: bool = False) -> tuple[PreparedQuery, tuple[Columns, Columns, Columns, Columns]]:
    """The bearer-token lookup as one statement (parameters: the digest, the time): the active token, its active
    user, their membership and organization, and the agents an ingest token is limited to (one row per agent; most
    tokens have none). A hot path may read it beside its own (``token_reading_sql``); ``lean``: only the columns
    of ``LEAN_CALLER``."""
    scope = ApiToken._meta.get_field("agent_scopes").related_model._meta  # evidence's model, reached by relation
    models_ = ((ApiToken, "t"), (User, "u"), (Membership, "m"), (Organization, "o"))
    columns: tuple[Columns, Columns, Columns, Columns] = tuple(  # type: ignore[assignment]
        Columns(model, alias, fields if lean else None)
        for (model, alias), fields in zip(models_, LEAN_CALLER, strict=True)
    )
    sql = (
        f"SELECT {', '.join(c.sql for c in columns)}, s.agent_id "  # noqa: S608  (names come from the models)
        f"FROM {ApiToken._meta.db_table} t JOIN {User._meta.db_table} u ON u.id = t.user_id "
        f"LEFT JOIN {Membership._meta.db_table} m ON m.user_id = u.id "
        f"LEFT JOIN {Organization._meta.db_table} o ON o.id = m.organization_id "
        f"LEFT JOIN {scope.db_table} s ON s.token_id = t.id "  # type: ignore[union-attr]
        "WHERE t.digest = %s AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > %s) AND u.is_active"
    )
    return PreparedQuery(sql, token_reading_types()), columns


def token_reading_types() -> list[str]:
    """The PostgreSQL types of the token lookup's parameters (``token_parameters``)."""
    return ["varchar", "timestamptz"]


def token_reading_sql(lean: bool = False) -> tuple[str, int]:
    """The token lookup's SELECT (parameters: ``token_parameters``) and the number of columns it returns, for a
    hot path that reads the token in the same statement as its own rows (``token_from_rows`` reads them back)."""
    query, columns = _token_reading(lean)
    return query.sql, sum(c.width for c in columns) + 1


def token_parameters(plaintext: str, now: datetime) -> list[Any] | None:
    """The lookup's parameters for a presented token; None for one that cannot be a token (no query needed)."""
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > 200:
        return None
    return [token_digest(plaintext), connection.ops.adapt_datetimefield_value(now)]


def token_from_rows(rows: Sequence[Sequence[Any]], now: datetime, start: int = 0, *, lean: bool = False) -> ApiToken:
    """The token whose lookup columns start at ``row[start]`` (with its user, membership and organization),
    marked used; ``token.scope_agent_ids``: the agents an ingest token is limited to (empty for most tokens)."""
    _, (token_columns, user_columns, membership_columns, organization_columns) = _token_reading(lean)
    row = rows[0]
    wrapper = connections[DEFAULT_DB_ALIAS]
    token = token_columns.read(row, start, wrapper)
    user = user_columns.read(row, start + token_columns.width, wrapper)
    at = start + token_columns.width + user_columns.width
    membership = organization = None
    if row[at] is not None:
        membership = membership_columns.read(row, at, wrapper)
        organization = organization_columns.read(row, at + membership_columns.width, wrapper)
        Membership.organization.field.set_cached_value(membership, organization)
        Membership.user.field.set_cached_value(membership, user)
    User.membership.related.set_cached_value(user, membership)  # None: no membership, and no query to learn it
    ApiToken.user.field.set_cached_value(token, user)
    scope_at = at + membership_columns.width + organization_columns.width
    token.scope_agent_ids = frozenset(r[scope_at] for r in rows if r[scope_at] is not None)  # type: ignore[attr-defined]
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        # At most once a minute per token, whichever process sees it first: the hot path stays read-only.
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def token_caller(token: ApiToken) -> User:
    """The user a token acts as: with the token's agent scope (``user.token_scope``) when it is limited to agents,
    so the rules answer for the credential and not only for the person."""
    user = token.user
    agent_ids: frozenset[int] = token.scope_agent_ids  # type: ignore[attr-defined]  # read with the token
    user.token_scope = TokenScope(token_id=token.pk, agent_ids=agent_ids) if agent_ids else None  # type: ignore[attr-defined]
    return user


def api_token_authenticate(plaintext: str) -> ApiToken | None:
    """The active token matching ``plaintext`` (``token_from_rows``), marking it used; None if none.

    Every request reads the token afresh (one query, no cache), so a revocation or expiry holds from the next
    request on, in every process."""
    now = timezone.now()
    parameters = token_parameters(plaintext, now)
    if parameters is None:
        return None
    rows = _token_reading()[0].fetchall(parameters)
    return token_from_rows(rows, now) if rows else None


# --- sign-in with throttling ------------------------------------------------------


def _failure_keys(username: str, address: str) -> tuple[str, str, str]:
    """Counters per (username, address) pair, per username and per address; names hashed, never stored."""
    name = hashlib.sha256(username.strip().lower().encode()).hexdigest()
    where = hashlib.sha256(address.encode()).hexdigest()
    return f"login-fail:pair:{name}:{where}", f"login-fail:user:{name}", f"login-fail:addr:{where}"


def _lock_key(pair_key: str) -> str:
    return pair_key.replace("login-fail:", "login-lock:", 1)


LOCK_BASE_SECONDS = 30


def login_guard(*, username: str, address: str) -> None:
    """Refuse an attempt while it is locked out, whether or not the user exists.

    * (username, address): after ``LOGIN_FAILURE_LIMIT`` failures the pair waits 30 s, doubling with each further
      failure up to the window — a stranger guessing from elsewhere never locks out the owner's own address;
    * username from anywhere: ``LOGIN_FAILURE_USER_LIMIT`` failures in the window (a distributed guess);
    * address: ``LOGIN_FAILURE_IP_LIMIT`` failures in the window, whatever the usernames.
    """
    pair_key, user_key, addr_key = _failure_keys(username, address)
    values = cache.get_many([_lock_key(pair_key), user_key, addr_key])
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    locked_until = values.get(_lock_key(pair_key))
    if locked_until is not None:
        wait = max(1, int(locked_until - timezone.now().timestamp()))
        raise TooManyAttempts(f"Too many failed sign-in attempts. Try again in {wait} seconds.", retry_after=wait)
    if (
        values.get(user_key, 0) >= settings.LOGIN_FAILURE_USER_LIMIT
        or values.get(addr_key, 0) >= settings.LOGIN_FAILURE_IP_LIMIT
    ):
        minutes = max(1, window // 60)
        raise TooManyAttempts(f"Too many failed sign-in attempts. Try again in {minutes} minutes.", retry_after=window)


def _count(key: str, window: int) -> int:
    cache.add(key, 0, timeout=window)
    try:
        return int(cache.incr(key))
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=window)
        return 1


def login_failure_record(*, username: str, address: str) -> None:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    pair_key, user_key, addr_key = _failure_keys(username, address)
    failures = _count(pair_key, window)
    _count(user_key, window)
    _count(addr_key, window)
    if failures >= settings.LOGIN_FAILURE_LIMIT:
        wait = min(window, LOCK_BASE_SECONDS * 2 ** (failures - settings.LOGIN_FAILURE_LIMIT))
        cache.set(_lock_key(pair_key), timezone.now().timestamp() + wait, timeout=wait)


def login_failures_clear(*, username: str, address: str) -> None:
    pair_key, _, _ = _failure_keys(username, address)
    cache.delete_many([pair_key, _lock_key(pair_key)])


def user_authenticate(*, request: HttpRequest | None, username: str, password: str, address: str) -> User:
    """Check credentials under the sign-in throttle; one error whether or not the user exists."""
    login_guard(username=username, address=address)
    user = authenticate(request, username=username, password=password)
    if user is None:
        login_failure_record(username=username, address=address)
        raise InvalidCredentials()
    login_failures_clear(username=username, address=address)
    return user  # type: ignore[return-value]


# --- notifications --------------------------------------------------------------------


def notifications_create(*, recipients: list[User], kind: str, title: str, body: str = "", url: str = "") -> int:
    """One in-app notification per recipient (deduplicated), in the caller's transaction."""
    from accounts.models import Notification

    unique = {user.pk: user for user in recipients}.values()
    Notification.objects.bulk_create(
        [Notification(recipient=user, kind=kind, title=title[:200], body=body, url=url) for user in unique]
    )
    return len(unique)


def notifications_mark_read(*, user: User, notification_ids: list[int] | None = None) -> int:
    """Mark some (or all) of the user's unread notifications read; returns how many changed."""
    from accounts.models import Notification

    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_ids is not None:
        unread = unread.filter(pk__in=notification_ids)
    return unread.update(read_at=timezone.now())
