"""Demo organizations and users (idempotent)."""

from __future__ import annotations

from typing import TextIO

from accounts.models import Invitation, Membership, User
from accounts.services import invitation_create, member_create, organization_get_or_create

DEMO_PASSWORD = "trust-demo-2026"

ORGANIZATIONS = [
    ("Acme Agents", "vendor"),
    ("Helix Automation", "vendor"),
    ("Northwind Bank", "buyer"),
    ("Globex Retail", "buyer"),
]

# username, organization (None for platform roles), role, arbiter, staff, description
USERS = [
    ("vendor", "Acme Agents", "owner", False, False, "vendor owner, Acme Agents"),
    ("vendor2", "Helix Automation", "owner", False, False, "vendor owner, Helix Automation"),
    ("vendor-dev", "Acme Agents", "member", False, False, "vendor member, Acme Agents"),
    ("buyer", "Northwind Bank", "owner", False, False, "buyer owner, Northwind Bank"),
    ("buyer2", "Globex Retail", "owner", False, False, "buyer owner, Globex Retail"),
    ("arbiter", None, "", True, False, "platform arbiter"),
    ("arbiter2", None, "", True, False, "platform arbiter (appeals)"),
    ("operator", None, "", False, True, "staff operator (admin site)"),
]


def seed(out: TextIO) -> list[tuple[str, str, str]]:
    organizations = {name: organization_get_or_create(name=name, kind=kind)[0] for name, kind in ORGANIZATIONS}
    created = 0
    for username, org_name, role, arbiter, staff, _ in USERS:
        if User.objects.filter(username=username).exists():
            continue
        member_create(
            username=username,
            password=DEMO_PASSWORD,
            organization=organizations[org_name] if org_name else None,
            role=role or Membership.Role.MEMBER,
            is_arbiter=arbiter,
            is_staff=staff,
            email=f"{username}@example.com",
        )
        if staff:
            User.objects.filter(username=username).update(is_superuser=True)
        created += 1
    invited = 0
    if not Invitation.objects.exists():  # a pending one to see on the Members page (its link was never shown)
        owner = User.objects.get(username="buyer")
        invitation_create(user=owner, organization=owner.organization, role="member", note="Risk analyst (demo)")
        invited = 1
    out.write(f"accounts: {len(organizations)} organizations, {created} new users, {invited} pending invitation\n")
    return [(username, DEMO_PASSWORD, what) for username, *_, what in USERS]
