"""Each role gets its own home and navigation."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.roles import Role, role_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("who", "role", "heading"),
    [
        ("vendor", Role.VENDOR, "Vendor home"),
        ("buyer", Role.BUYER, "Buyer home"),
        ("arbiter", Role.ARBITER, "Arbiter home"),
        ("staff", Role.STAFF, "Operator home"),
        ("outsider", Role.UNASSIGNED, "no organization yet"),
    ],
)
def test_each_role_has_its_home(client: Client, request, who: str, role: Role, heading: str) -> None:
    user = request.getfixturevalue(who)
    assert role_of(user) is role
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 200
    assert heading in response.content.decode()
    assert response.context["role"] == role.value


def test_anonymous_home_invites_sign_in(client: Client) -> None:
    response = client.get("/")
    html = response.content.decode()
    assert "Sign in" in html
    assert response.context["role"] == "anonymous"
    labels = [item.label for item in response.context["nav_items"]]
    assert "API tokens" not in labels


def test_signed_in_navigation_marks_the_current_page(client: Client, vendor) -> None:
    client.force_login(vendor)
    response = client.get("/accounts/tokens/")
    items = {item.label: item for item in response.context["nav_items"]}
    assert items["API tokens"].current is True
    assert items["Home"].current is False
    assert 'aria-current="page"' in response.content.decode()


def test_vendor_home_lists_only_own_organization_members(client: Client, vendor, vendor_b) -> None:
    client.force_login(vendor)
    html = client.get("/").content.decode()
    assert vendor.username in html
    assert vendor_b.username not in html


def test_base_page_is_accessible_markup(client: Client) -> None:
    html = client.get("/accounts/login/").content.decode()
    assert '<html lang="en">' in html
    assert 'href="#main"' in html  # skip link
    assert "<main" in html and "<nav" in html and "<header" in html
    assert '<label for="id_username">' in html
    assert "hx-headers" in html and "X-CSRFToken" in html
