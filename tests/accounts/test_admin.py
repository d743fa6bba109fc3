"""The accounts admin: tokens and memberships are shown, not edited; tokens are revoked through the service."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import ApiToken, Membership, User
from accounts.services import api_token_create, api_token_revoke
from tests.admin import columns, reported, url
from tests.factories import UserFactory
from trust_portal.errors import Forbidden

pytestmark = pytest.mark.django_db


@pytest.fixture
def token(vendor: User) -> ApiToken:
    return api_token_create(user=vendor, name="CI pipeline").token


@pytest.fixture
def membership(vendor: User) -> Membership:
    return vendor.membership  # type: ignore[no-any-return]


# --- read-only ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "tampered"),
    [("token", {"name": "renamed", "read_only": "on"}), ("membership", {"role": "member"})],
)
def test_changelist_and_change_page_show_the_row_and_a_posted_change_is_refused(
    admin_client: Client, request: pytest.FixtureRequest, fixture: str, tampered: dict[str, str]
) -> None:
    obj = request.getfixturevalue(fixture)
    before = columns(obj)

    assert admin_client.get(url(obj, "changelist")).status_code == 200
    page = admin_client.get(url(obj, "change", obj.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    response = admin_client.post(url(obj, "change", obj.pk), tampered)

    assert response.status_code == 403
    assert columns(obj) == before


@pytest.mark.parametrize("fixture", ["token", "membership"])
def test_add_and_delete_are_refused(admin_client: Client, request: pytest.FixtureRequest, fixture: str) -> None:
    obj = request.getfixturevalue(fixture)

    assert admin_client.get(url(obj, "add")).status_code == 403
    assert admin_client.post(url(obj, "add"), {}).status_code == 403
    assert admin_client.post(url(obj, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_the_changelist_offers_no_bulk_delete(admin_client: Client, token: ApiToken) -> None:
    response = admin_client.get(url(token, "changelist"))
    choices = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in choices
    assert "revoke" in choices


def test_token_changelist_queries_do_not_grow_with_rows(admin_client: Client, vendor: User, vendor_b: User) -> None:
    api_token_create(user=vendor, name="one")
    with CaptureQueriesContext(connection) as one:
        admin_client.get(url(ApiToken, "changelist"))
    for n in range(4):
        api_token_create(user=vendor_b if n % 2 else vendor, name=f"more {n}")
    with CaptureQueriesContext(connection) as five:
        admin_client.get(url(ApiToken, "changelist"))
    assert len(five) == len(one)


# --- the user's membership inline ----------------------------------------------------------------------------


def user_form(user: User, **changes: str) -> dict[str, Any]:
    """What the admin's user change form posts, with the membership inline posted as if it were editable."""
    membership = user.membership
    return {
        "username": user.username,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": "on",
        "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
        "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        "membership-TOTAL_FORMS": "1",
        "membership-INITIAL_FORMS": "1",
        "membership-MIN_NUM_FORMS": "0",
        "membership-MAX_NUM_FORMS": "1",
        "membership-0-id": str(membership.pk),
        "membership-0-user": str(user.pk),
        "membership-0-organization": str(membership.organization_id),
        "membership-0-role": "member",
        **changes,
    }


def test_user_change_page_shows_the_membership_without_a_role_input(admin_client: Client, vendor: User) -> None:
    response = admin_client.get(url(vendor, "change", vendor.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Acme Agents" in html
    assert 'name="membership-0-role"' not in html


def test_saving_a_user_keeps_the_membership_as_it_was(admin_client: Client, vendor: User) -> None:
    response = admin_client.post(url(vendor, "change", vendor.pk), user_form(vendor, email="vera@acme.test"))

    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    vendor.refresh_from_db()
    assert vendor.email == "vera@acme.test"  # the user stays editable for operators
    assert Membership.objects.get(user=vendor).role == Membership.Role.OWNER


def test_a_membership_cannot_be_added_or_removed_through_the_user_page(admin_client: Client, vendor: User) -> None:
    removal = user_form(vendor, **{"membership-0-DELETE": "on"})
    admin_client.post(url(vendor, "change", vendor.pk), removal)
    assert Membership.objects.filter(user=vendor).exists()

    newcomer = UserFactory(username="newcomer")
    addition = {
        **user_form(vendor),
        "username": "newcomer",
        "membership-INITIAL_FORMS": "0",
        "membership-0-id": "",
        "membership-0-user": str(newcomer.pk),
    }
    admin_client.post(url(newcomer, "change", newcomer.pk), addition)
    assert not Membership.objects.filter(user=newcomer).exists()


# --- the revoke action ------------------------------------------------------------------------------------------


def revoke(admin_client: Client, *tokens: ApiToken) -> Any:
    return admin_client.post(
        url(ApiToken, "changelist"), {"action": "revoke", "_selected_action": [t.pk for t in tokens]}, follow=True
    )


def test_revoke_action_revokes_each_selected_token_and_says_how_many(
    admin_client: Client, token: ApiToken, vendor_b: User
) -> None:
    other = api_token_create(user=vendor_b, name="telemetry").token
    untouched = api_token_create(user=vendor_b, name="kept").token

    response = revoke(admin_client, token, other)

    assert response.status_code == 200
    for revoked in (token, other):
        revoked.refresh_from_db()
        assert revoked.revoked_at is not None
    untouched.refresh_from_db()
    assert untouched.revoked_at is None
    assert (messages.SUCCESS, "2 api tokens revoked.") in reported(response)


def test_revoke_action_goes_through_the_service_as_the_signed_in_user(
    admin_client: Client, root: User, token: ApiToken, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    def spy(**kwargs: Any) -> ApiToken:
        calls.append(kwargs)
        return api_token_revoke(**kwargs)

    monkeypatch.setattr("accounts.admin.api_token_revoke", spy)
    revoke(admin_client, token)

    assert calls == [{"token": token, "user": root}]


def test_revoking_a_revoked_token_changes_nothing_and_says_so(admin_client: Client, token: ApiToken, vendor) -> None:
    api_token_revoke(token=token, user=vendor)
    token.refresh_from_db()
    revoked_at = token.revoked_at

    response = revoke(admin_client, token)

    token.refresh_from_db()
    assert token.revoked_at == revoked_at
    assert (messages.WARNING, "1 api token already revoked.") in reported(response)


def test_a_refused_revocation_is_reported_and_the_others_still_happen(
    admin_client: Client, token: ApiToken, vendor_b: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = api_token_create(user=vendor_b, name="refused").token

    def service(*, token: ApiToken, user: User) -> ApiToken:
        if token.pk == refused.pk:
            raise Forbidden("Only the token's holder may revoke this token.")
        return api_token_revoke(token=token, user=user)

    monkeypatch.setattr("accounts.admin.api_token_revoke", service)
    response = revoke(admin_client, token, refused)

    assert response.status_code == 200
    refused.refresh_from_db()
    token.refresh_from_db()
    assert refused.revoked_at is None
    assert token.revoked_at is not None
    assert (messages.ERROR, f"{refused}: Only the token's holder may revoke this token.") in reported(response)
    assert (messages.SUCCESS, "1 api token revoked.") in reported(response)


def test_an_organizations_side_cannot_be_switched_in_the_admin(db) -> None:
    from django.test import Client

    from accounts.models import Organization
    from tests.factories import OrganizationFactory, UserFactory

    org = OrganizationFactory(name="Side Corp", kind="vendor")
    client = Client()
    client.force_login(UserFactory(username="root2", is_staff=True, is_superuser=True))
    client.post(
        f"/admin/accounts/organization/{org.pk}/change/", {"name": "Side Corp", "slug": org.slug, "kind": "buyer"}
    )
    assert Organization.objects.get(pk=org.pk).kind == "vendor"
