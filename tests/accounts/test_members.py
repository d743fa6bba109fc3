"""Owners invite members (a single-use link that expires in 7 days), change roles and remove members; the last
owner can neither leave nor be demoted."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.errors import AlreadyMember, InvitationUnusable, LastOwner
from accounts.models import ApiToken, Invitation, Membership, User
from tests.factories import MembershipFactory, UserFactory
from trust_portal.errors import Forbidden, NotFound

STRONG = "a-long-passphrase-2026"


@pytest.fixture
def colleague(vendor) -> User:
    """A member (not owner) of the vendor's organization."""
    return MembershipFactory(  # type: ignore[no-any-return]
        user=UserFactory(username="mo-member"), organization=vendor.organization, role="member"
    ).user


def invite(owner: User, role: str = "member") -> services.IssuedInvitation:
    return services.invitation_create(user=owner, organization=owner.organization, role=role)


# --- services -------------------------------------------------------------------------------------------------


def test_an_owner_invites_and_the_link_creates_a_member_once(vendor) -> None:
    issued = invite(vendor)
    assert issued.secret.startswith("inv_") and issued.secret not in issued.invitation.digest  # only a hash is kept
    assert issued.invitation.expires_at - timezone.now() > timedelta(days=6, hours=23)
    member = services.invitation_accept(secret=issued.secret, username="newbie", password=STRONG)
    assert member.membership.organization == vendor.organization and member.membership.role == "member"
    assert Invitation.objects.get().status == "accepted"
    with pytest.raises(InvitationUnusable, match="accepted"):
        services.invitation_accept(secret=issued.secret, username="second", password=STRONG)
    assert not User.objects.filter(username="second").exists()


def test_an_invitation_as_owner_makes_an_owner(vendor) -> None:
    member = services.invitation_accept(secret=invite(vendor, "owner").secret, username="co-owner", password=STRONG)
    assert member.membership.role == "owner"


def test_an_invitation_expires_after_seven_days(vendor) -> None:
    issued = invite(vendor)
    with (
        time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)),
        pytest.raises(InvitationUnusable, match="expired"),
    ):
        services.invitation_accept(secret=issued.secret, username="late", password=STRONG)


def test_a_revoked_invitation_no_longer_works(vendor) -> None:
    issued = invite(vendor)
    services.invitation_revoke(user=vendor, invitation=issued.invitation)
    with pytest.raises(InvitationUnusable, match="revoked"):
        services.invitation_accept(secret=issued.secret, username="x", password=STRONG)


@pytest.mark.parametrize("secret", ["inv_nope", "tp_notaninvitation", "", "inv_" + "x" * 200])
def test_an_unknown_link_is_not_found(vendor, secret) -> None:
    with pytest.raises(NotFound):
        services.invitation_accept(secret=secret, username="x", password=STRONG)


def test_members_and_outsiders_cannot_invite(vendor, colleague, buyer) -> None:
    with pytest.raises(Forbidden, match="owner"):
        services.invitation_create(user=colleague, organization=vendor.organization)
    with pytest.raises(Forbidden):
        services.invitation_create(user=buyer, organization=vendor.organization)


def test_a_signed_in_user_without_an_organization_joins_with_the_link(vendor, outsider) -> None:
    joined = services.invitation_accept(secret=invite(vendor).secret, user=outsider)
    assert joined.membership.organization == vendor.organization


def test_someone_already_in_an_organization_cannot_accept(vendor, buyer) -> None:
    with pytest.raises(AlreadyMember):
        services.invitation_accept(secret=invite(vendor).secret, user=buyer)
    assert buyer.membership.organization.name == "Northwind Bank"


def test_a_weak_password_is_refused_and_the_link_stays_usable(vendor) -> None:
    from django.core.exceptions import ValidationError

    issued = invite(vendor)
    with pytest.raises(ValidationError):
        services.invitation_accept(secret=issued.secret, username="weak", password="123")
    assert Invitation.objects.get().status == "pending"


def test_the_last_owner_cannot_be_demoted_or_leave(vendor, colleague) -> None:
    own = vendor.membership
    with pytest.raises(LastOwner):
        services.membership_set_role(user=vendor, membership=own, role="member")
    with pytest.raises(LastOwner):
        services.membership_remove(user=vendor, membership=own)
    services.membership_set_role(user=vendor, membership=colleague.membership, role="owner")
    services.membership_set_role(user=vendor, membership=Membership.objects.get(user=vendor), role="member")
    assert Membership.objects.get(user=vendor).role == "member"


def test_a_member_cannot_change_roles_but_may_leave(vendor, colleague) -> None:
    with pytest.raises(Forbidden):
        services.membership_set_role(user=colleague, membership=vendor.membership, role="member")
    with pytest.raises(Forbidden):
        services.membership_remove(user=colleague, membership=vendor.membership)
    services.membership_remove(user=colleague, membership=colleague.membership)
    assert not Membership.objects.filter(user=colleague).exists()


def test_removing_a_member_revokes_their_tokens(vendor, colleague) -> None:
    issued = services.api_token_create(user=colleague, name="ci")
    services.membership_remove(user=vendor, membership=colleague.membership)
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is not None


def test_another_organizations_members_are_not_found(vendor, vendor_b) -> None:
    from accounts import selectors

    with pytest.raises(NotFound):
        selectors.membership_get(user=vendor_b, membership_id=vendor.membership.pk)


@pytest.mark.django_db(transaction=True)
def test_two_people_racing_for_one_link_make_one_member(postgres, vendor) -> None:
    issued = invite(vendor)
    outcomes: list[str] = []

    def accept(name: str) -> None:
        try:
            services.invitation_accept(secret=issued.secret, username=name, password=STRONG)
            outcomes.append("joined")
        except InvitationUnusable:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(f"racer{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["joined", "refused", "refused", "refused"]
    assert User.objects.filter(username__startswith="racer").count() == 1


# --- pages ------------------------------------------------------------------------------------------------------


def test_the_owner_creates_a_link_in_the_browser_and_it_is_shown_once(client: Client, vendor) -> None:
    client.force_login(vendor)
    created = client.post("/accounts/organization/", {"role": "member", "note": "Dana"}, follow=True)
    assert created.redirect_chain == [("/accounts/organization/", 302)]  # post/redirect/get: a reload adds nothing
    page = created.content.decode()
    assert 'data-testid="invite-link"' in page and "/accounts/invitations/inv_" in page
    again = client.get("/accounts/organization/").content.decode()
    assert "Dana" in again and "/accounts/invitations/inv_" not in again  # listed, never shown again


def test_the_invitation_page_creates_the_account_and_signs_in(client: Client, vendor) -> None:
    issued = invite(vendor)
    url = f"/accounts/invitations/{issued.secret}/"
    assert "Join Acme Agents" in client.get(url).content.decode()
    mismatch = client.post(url, {"username": "dana", "password": STRONG, "password_again": "other"})
    assert mismatch.status_code == 400 and "differ" in mismatch.content.decode()
    done = client.post(url, {"username": "dana", "password": STRONG, "password_again": STRONG})
    assert done.status_code == 302
    assert client.get("/").context["user"].username == "dana"
    used = Client().get(url)
    assert "accepted" in used.content.decode()


def test_members_see_the_list_but_no_management(client: Client, vendor, colleague) -> None:
    client.force_login(colleague)
    page = client.get("/accounts/organization/").content.decode()
    assert "vera-vendor" in page and "Change role" not in page and "Create invitation link" not in page
    assert client.post("/accounts/organization/", {"role": "member"}).status_code == 403
    assert (
        client.post(f"/accounts/organization/members/{vendor.membership.pk}/role/", {"role": "member"}).status_code
        == 403
    )


def test_the_owner_changes_a_role_and_removes_a_member_in_the_browser(client: Client, vendor, colleague) -> None:
    client.force_login(vendor)
    client.post(f"/accounts/organization/members/{colleague.membership.pk}/role/", {"role": "owner"})
    assert Membership.objects.get(user=colleague).role == "owner"
    client.post(f"/accounts/organization/members/{colleague.membership.pk}/remove/")
    assert not Membership.objects.filter(user=colleague).exists()


def test_the_last_owner_is_told_why_they_cannot_leave(client: Client, vendor) -> None:
    client.force_login(vendor)
    response = client.post(f"/accounts/organization/members/{vendor.membership.pk}/remove/", follow=True)
    assert "last owner" in response.content.decode()
    assert Membership.objects.filter(user=vendor).exists()


# --- API --------------------------------------------------------------------------------------------------------


def test_the_api_invites_lists_and_accepts(bearer, vendor) -> None:
    owner = bearer(vendor)
    created = owner.post("/api/v1/organization/invitations/", {"role": "member", "note": "ci bot"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["status"] == "pending" and body["url"].endswith(f"/accounts/invitations/{body['token']}/")
    assert "token" not in owner.get("/api/v1/organization/invitations/").json()[0]
    accepted = APIClient().post(
        "/api/v1/invitations/accept/", {"token": body["token"], "username": "bot", "password": STRONG}, format="json"
    )
    assert accepted.status_code == 201 and accepted.json()["organization"]["role"] == "member"
    again = APIClient().post(
        "/api/v1/invitations/accept/", {"token": body["token"], "username": "bot2", "password": STRONG}, format="json"
    )
    assert again.status_code == 410 and again["Content-Type"].startswith("application/problem+json")
    members = owner.get("/api/v1/organization/members/").json()
    assert {m["username"] for m in members} == {"vera-vendor", "bot"}


def test_the_api_refuses_demoting_the_last_owner_with_409(bearer, vendor) -> None:
    response = bearer(vendor).patch(
        f"/api/v1/organization/members/{vendor.membership.pk}/", {"role": "member"}, format="json"
    )
    assert response.status_code == 409 and response.json()["code"] == "last_owner"


def test_the_api_role_change_by_a_member_is_403_and_across_organizations_404(
    bearer, vendor, colleague, vendor_b
) -> None:
    url = f"/api/v1/organization/members/{vendor.membership.pk}/"
    assert bearer(colleague).patch(url, {"role": "member"}, format="json").status_code == 403
    assert bearer(vendor_b).patch(url, {"role": "member"}, format="json").status_code == 404
    assert bearer(colleague).post("/api/v1/organization/invitations/", {}, format="json").status_code == 403


def test_an_owner_who_is_demoted_takes_their_pending_invitations_with_them(vendor, colleague) -> None:
    services.membership_set_role(user=vendor, membership=colleague.membership, role="owner")
    colleague.refresh_from_db()
    issued = invite(User.objects.get(pk=colleague.pk), "owner")
    services.membership_set_role(user=vendor, membership=Membership.objects.get(user=colleague), role="member")
    assert Invitation.objects.get(pk=issued.invitation.pk).status == "revoked"
    with pytest.raises(InvitationUnusable):
        services.invitation_accept(secret=issued.secret, username="backdoor", password=STRONG)
    assert not User.objects.filter(username="backdoor").exists()


def test_an_invitation_whose_maker_is_no_longer_an_owner_is_refused(vendor, colleague) -> None:
    services.membership_set_role(user=vendor, membership=colleague.membership, role="owner")
    issued = invite(User.objects.get(pk=colleague.pk))
    Membership.objects.filter(user=colleague).update(role="member")  # however it happened
    with pytest.raises(InvitationUnusable, match="no longer an owner"):
        services.invitation_accept(secret=issued.secret, username="late", password=STRONG)
