"""manage.py create_member for vendors, buyers and arbiters."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Organization, User
from accounts.roles import Role, role_of

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str, stdin: str = "") -> str:
    out = io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command("create_member", *args, stdout=out)
    finally:
        sys.stdin = old_stdin
    return out.getvalue()


def test_creates_vendor_and_its_organization() -> None:
    output = run(
        "alice", "--org", "Acme", "--kind", "vendor", "--role", "owner", "--password-stdin", stdin="s3cret-passphrase\n"
    )
    user = User.objects.get(username="alice")
    assert role_of(user) is Role.VENDOR
    assert user.membership.role == "owner"
    assert user.check_password("s3cret-passphrase")
    assert Organization.objects.get(name="Acme").kind == "vendor"
    assert "Created alice" in output


def test_creates_buyer_in_existing_organization_with_generated_password() -> None:
    run("bob", "--org", "Northwind", "--kind", "buyer")
    output = run("carol", "--org", "Northwind", "--kind", "buyer")
    assert Organization.objects.filter(name="Northwind").count() == 1
    assert role_of(User.objects.get(username="carol")) is Role.BUYER
    password = output.split("Password (shown once): ")[1].strip()
    assert User.objects.get(username="carol").check_password(password)


def test_creates_arbiter_without_organization() -> None:
    run("ruth", "--arbiter")
    user = User.objects.get(username="ruth")
    assert role_of(user) is Role.ARBITER
    assert user.organization is None


def test_arbiter_with_an_organization_is_refused() -> None:
    with pytest.raises(CommandError, match="no party organization"):
        run("ruth", "--arbiter", "--org", "Acme", "--kind", "vendor")
    assert not User.objects.filter(username="ruth").exists()


def test_existing_org_of_other_kind_is_refused() -> None:
    run("alice", "--org", "Acme", "--kind", "vendor")
    with pytest.raises(CommandError, match="already exists as a vendor"):
        run("bob", "--org", "Acme", "--kind", "buyer")
    assert not User.objects.filter(username="bob").exists()


def test_duplicate_username_is_refused() -> None:
    run("alice", "--org", "Acme", "--kind", "vendor")
    with pytest.raises(CommandError, match="already exists"):
        run("alice", "--org", "Acme", "--kind", "vendor")


def test_unknown_kind_exits_2_with_a_clear_message() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    result = subprocess.run(
        [sys.executable, "manage.py", "create_member", "zed", "--org", "Zed", "--kind", "reseller"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert "invalid choice: 'reseller'" in result.stderr
    assert "vendor" in result.stderr and "buyer" in result.stderr
