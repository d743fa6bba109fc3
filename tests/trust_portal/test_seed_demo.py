"""seed_demo creates the demo world once and prints the logins."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from accounts.models import Membership, Organization, User

pytestmark = pytest.mark.django_db


def test_seed_demo_is_idempotent_and_prints_logins() -> None:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    counts = (User.objects.count(), Organization.objects.count(), Membership.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (User.objects.count(), Organization.objects.count(), Membership.objects.count()) == counts
    printed = out.getvalue()
    for username in ("vendor", "buyer", "arbiter", "operator"):
        assert f"  {username} " in printed
    assert User.objects.get(username="buyer").check_password("trust-demo-2026")
    assert User.objects.get(username="arbiter").is_arbiter
