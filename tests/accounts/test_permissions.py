"""The one permission mechanism (require / restrict / may) and what the owner and member roles mean."""

from __future__ import annotations

import copy
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from accounts import selectors as account_selectors
from accounts import services as account_services
from accounts.models import ApiToken, User
from accounts.permissions import may, registered_permissions, require
from evidence import services as evidence_services
from evidence.models import AccessGrant
from pacts import services as pact_services
from pacts.demo_documents import REFUNDS_V1
from pacts.models import Agent, Pact, PactVersion
from tests.factories import MembershipFactory, UserFactory, key_registration, register_key
from trust_portal.errors import Forbidden, NotFound


@pytest.fixture
def colleague(vendor) -> User:
    return MembershipFactory(  # type: ignore[no-any-return]
        user=UserFactory(username="mo-member"), organization=vendor.organization, role="member"
    ).user


@pytest.fixture
def bot(vendor) -> Agent:
    return pact_services.agent_create(user=vendor, name="Refund Bot", slug="refund-bot")


@pytest.fixture
def pact(bot, vendor) -> Pact:
    return pact_services.pact_create(agent=bot, user=vendor, title="Refunds", document=copy.deepcopy(REFUNDS_V1))


def draft(pact: Pact) -> PactVersion:
    return pact.versions.get(status="draft")


def public_pem() -> str:
    key = Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


# --- the mechanism --------------------------------------------------------------------------------------------


def test_require_hides_what_the_user_may_not_see(pact, vendor_b) -> None:
    with pytest.raises(NotFound):
        require(vendor_b, "pacts.publish_version", draft(pact))  # an unpublished draft does not exist for them


def test_require_refuses_with_the_reason_what_the_user_sees_but_may_not_do(pact, vendor, colleague) -> None:
    pact_services.pact_version_publish(version=draft(pact), user=vendor)
    with pytest.raises(Forbidden, match="owner"):
        require(colleague, "pacts.retire_pact", pact)


def test_restrict_filters_before_fetching(pact, vendor, buyer) -> None:
    assert list(Pact.objects.restrict(vendor)) == [pact]
    assert list(Pact.objects.restrict(buyer)) == []  # never published: it does not exist for buyers
    assert list(PactVersion.objects.restrict(buyer)) == []


def test_an_unregistered_scope_or_permission_is_a_configuration_error(vendor) -> None:
    with pytest.raises(ImproperlyConfigured):
        Pact.objects.restrict(vendor, "fly")
    with pytest.raises(ImproperlyConfigured):
        may(vendor, "pacts.fly")


def test_every_permission_is_named_after_its_app_and_says_who_may() -> None:
    from accounts.permissions import refusal

    names = registered_permissions()
    assert {"pacts.publish_version", "evidence.submit", "evidence.view_restricted", "accounts.manage_tokens"} <= set(
        names
    )
    from django.apps import apps

    ours = {config.label for config in apps.get_app_configs() if config.path.startswith(str(settings.BASE_DIR))}
    assert {"accounts", "pacts", "evidence", "verdicts", "reputation", "disputes"} <= ours
    for name in names:
        assert name.split(".")[0] in ours, name
        assert refusal(name).strip(), name


# --- what roles mean ------------------------------------------------------------------------------------------


def test_a_member_authors_drafts_but_only_an_owner_publishes(pact, vendor, colleague) -> None:
    version = pact_services.pact_version_update_draft(version=draft(pact), user=colleague, changelog="tweak")
    assert version.changelog == "tweak"
    with pytest.raises(Forbidden, match="owner"):
        pact_services.pact_version_publish(version=version, user=colleague)
    published = pact_services.pact_version_publish(version=version, user=vendor)
    assert published.status == "published"


def test_publishing_by_a_member_over_the_api_is_403_naming_the_owner_role(pact, colleague, bearer) -> None:
    response = bearer(colleague).post(f"/api/v1/pacts/{pact.pk}/versions/1/publish/", {}, format="json")
    assert response.status_code == 403
    assert "owner" in response.json()["detail"]
    assert PactVersion.objects.get(pact=pact).status == "draft"


def test_the_publish_form_is_offered_to_owners_only(client, pact, vendor, colleague) -> None:
    client.force_login(colleague)
    page = client.get(f"/pacts/{pact.pk}/v/1/").content.decode()
    assert 'data-testid="publish-owner-only"' in page and "Publish v1</button>" not in page
    client.force_login(vendor)
    assert "Publish v1</button>" in client.get(f"/pacts/{pact.pk}/v/1/").content.decode()


def test_a_member_submits_evidence(bot, colleague) -> None:
    end = timezone.now() - timedelta(hours=1)
    stored = evidence_services.evidence_submit(
        agent=bot,
        user=colleague,
        items=[
            {
                "kind": "telemetry",
                "metric": "task_success",
                "successes": 5,
                "trials": 6,
                "observed_from": (end - timedelta(hours=1)).isoformat(),
                "observed_to": end.isoformat(),
            }
        ],
    )
    assert len(stored) == 1


def test_only_an_owner_grants_access_to_restricted_evidence(bot, vendor, colleague, buyer) -> None:
    with pytest.raises(Forbidden, match="owner"):
        evidence_services.access_grant_create(agent=bot, organization=buyer.organization, user=colleague)
    grant = evidence_services.access_grant_create(agent=bot, organization=buyer.organization, user=vendor)
    with pytest.raises(Forbidden):
        evidence_services.access_grant_revoke(grant=grant, user=colleague)
    assert AccessGrant.objects.get().revoked_at is None


def test_only_an_owner_registers_or_revokes_signing_keys(vendor, colleague) -> None:
    with pytest.raises(Forbidden, match="owner"):
        evidence_services.vendor_key_register(user=colleague, **key_registration(vendor, Ed25519PrivateKey.generate()))
    key = register_key(vendor)
    with pytest.raises(Forbidden):
        evidence_services.vendor_key_revoke(user=colleague, key=key)
    assert evidence_services.vendor_key_revoke(user=vendor, key=key).revoked_at is not None


def test_an_owner_sees_and_revokes_every_token_of_the_organization(vendor, colleague, vendor_b) -> None:
    mine = account_services.api_token_create(user=colleague, name="laptop").token
    assert mine in account_selectors.api_token_list(user=vendor)
    assert mine not in account_selectors.api_token_list(user=vendor_b)
    with pytest.raises(NotFound):
        account_selectors.api_token_get(user=vendor_b, token_id=mine.pk)
    account_services.api_token_revoke(token=mine, user=vendor)
    assert ApiToken.objects.get(pk=mine.pk).revoked_at is not None


def test_a_member_sees_and_manages_only_their_own_tokens(vendor, colleague) -> None:
    owners = account_services.api_token_create(user=vendor, name="owner's").token
    assert owners not in account_selectors.api_token_list(user=colleague)
    with pytest.raises(NotFound):
        account_selectors.api_token_get(user=colleague, token_id=owners.pk)
    with pytest.raises(NotFound):  # another member's token does not exist for a member
        account_services.api_token_revoke(token=owners, user=colleague)
    assert ApiToken.objects.get(pk=owners.pk).revoked_at is None


def test_our_permissions_never_answer_djangos_model_permission_checks(pact, vendor) -> None:
    """The admin asks user.has_perm("pacts.view_pact"); that is Django's permission, not our rule of that name."""
    staff = UserFactory(username="ops", is_staff=True)
    pact_services.pact_version_publish(version=draft(pact), user=vendor)
    assert may(staff, "pacts.view_pact", pact)  # our rule: a published pact is public
    assert not staff.has_perm("pacts.view_pact", pact)  # Django's: staff hold no model permission
    assert not staff.has_perm("pacts.view_agent")


def test_a_refused_page_says_who_may(client, pact, colleague) -> None:
    client.force_login(colleague)
    response = client.post(f"/pacts/{pact.pk}/v/1/publish/", {"confirm": "on"})
    assert response.status_code == 403
    assert "Only an owner of the agent&#x27;s vendor organization may publish" in response.content.decode()


def test_an_owner_retires_a_pact_over_the_api_and_a_member_may_not(pact, vendor, colleague, bearer) -> None:
    pact_services.pact_version_publish(version=draft(pact), user=vendor)
    refused = bearer(colleague).post(f"/api/v1/pacts/{pact.pk}/retire/", {}, format="json")
    assert refused.status_code == 403 and "owner" in refused.json()["detail"]
    done = bearer(vendor).post(f"/api/v1/pacts/{pact.pk}/retire/", {"note": "withdrawn"}, format="json")
    assert done.status_code == 200
    assert set(PactVersion.objects.filter(pact=pact).values_list("status", flat=True)) == {"retired"}
    again = bearer(vendor).post(f"/api/v1/pacts/{pact.pk}/retire/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "nothing_to_retire"


def test_the_retire_button_is_offered_to_owners_and_takes_the_clauses_off_the_board(
    client, pact, vendor, colleague
) -> None:
    from verdicts.evaluation import agent_evaluate

    pact_services.pact_version_publish(version=draft(pact), user=vendor)
    agent_evaluate(agent_id=pact.agent_id)
    client.force_login(colleague)
    assert "Retire</button>" not in client.get("/agents/refund-bot/").content.decode()
    client.force_login(vendor)
    page = client.get("/agents/refund-bot/").content.decode()
    assert "Retire</button>" in page and "resolution-rate" in page
    client.post(f"/pacts/{pact.pk}/retire/")
    assert 'data-testid="clause-board"' not in client.get("/agents/refund-bot/").content.decode()
    assert client.get("/api/v1/agents/refund-bot/verdicts/").json()["results"] == []
