"""Buyer pages for access policies: create with the form, the live preview (htmx) of the agents a policy allows
today (logging nothing), a new revision on edit, the decision log, and who may do what."""

from __future__ import annotations

import pytest
from django.urls import reverse

from reputation.models import AccessPolicy, Decision
from reputation.policies import policy_create

pytestmark = pytest.mark.django_db
FORM = {
    "name": "Production use",
    "min_tier": "probation",
    "required_clauses": "resolution-rate",
    "max_open_disputes": "0",
}


def test_an_owner_creates_a_policy_from_the_page(client, buyer) -> None:
    client.force_login(buyer)
    response = client.post(reverse("reputation:policies"), FORM)
    policy = AccessPolicy.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("reputation:policy", args=[policy.pk])
    assert policy.revisions.get().rules == {
        "min_tier": "probation",
        "max_open_disputes": 0,
        "required_clauses": ["resolution-rate"],
    }


def test_a_bad_form_shows_the_error_on_its_field(client, buyer) -> None:
    client.force_login(buyer)
    response = client.post(reverse("reputation:policies"), {"name": "Nothing"})
    assert response.status_code == 400
    assert "at least one condition" in response.content.decode()
    response = client.post(reverse("reputation:policies"), {**FORM, "required_clauses": "Not A Clause!"})
    assert response.status_code == 400 and "is not a clause id" in response.content.decode()


def test_the_live_preview_lists_allowed_and_denied_agents_and_logs_nothing(one_clause, observe, client, buyer) -> None:
    observe(95)
    client.force_login(buyer)
    allow = client.post(reverse("reputation:policy_preview"), FORM, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="preview-row"' in allow and ">allow<" in allow and "1</strong> of 1 agent" in allow
    deny = client.post(
        reverse("reputation:policy_preview"), {**FORM, "min_tier": "trusted"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert ">deny<" in deny and "tier probation is below trusted" in deny
    invalid = client.post(reverse("reputation:policy_preview"), {"name": "x"}, HTTP_HX_REQUEST="true").content.decode()
    assert "at least one condition" in invalid
    assert Decision.objects.count() == 0


def test_editing_on_the_page_writes_a_revision_and_the_log_shows_decisions(
    one_clause, observe, client, buyer, bearer
) -> None:
    observe(95)
    policy = policy_create(user=buyer, organization=buyer.organization, name="P", rules={"min_tier": "probation"})
    bearer(buyer).get(f"/api/v1/agents/refund-bot/decision/?policy={policy.pk}")
    client.force_login(buyer)
    page = client.get(reverse("reputation:policy", args=[policy.pk])).content.decode()
    assert page.count('data-testid="decision-row"') == 1 and "Save a new revision" in page
    response = client.post(reverse("reputation:policy", args=[policy.pk]), {"name": "P", "min_tier": "trusted"})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.revision == 2


def test_members_read_policies_but_only_owners_edit(client, buyer, buyer_member) -> None:
    policy = policy_create(user=buyer, organization=buyer.organization, name="P", rules={"min_tier": "probation"})
    client.force_login(buyer_member)
    page = client.get(reverse("reputation:policy", args=[policy.pk])).content.decode()
    assert "Save a new revision" not in page
    assert (
        client.post(reverse("reputation:policy", args=[policy.pk]), {"name": "P", "min_tier": "trusted"}).status_code
        == 403
    )
    assert "New policy" not in client.get(reverse("reputation:policies")).content.decode()


def test_other_organizations_do_not_see_a_policy(client, buyer, buyer2, vendor) -> None:
    policy = policy_create(user=buyer, organization=buyer.organization, name="P", rules={"min_tier": "probation"})
    for user in (buyer2, vendor):
        client.force_login(user)
        assert client.get(reverse("reputation:policy", args=[policy.pk])).status_code == 404
        assert client.post(reverse("reputation:policy_archive", args=[policy.pk])).status_code == 404


def test_archiving_from_the_page(client, buyer) -> None:
    policy = policy_create(user=buyer, organization=buyer.organization, name="P", rules={"min_tier": "probation"})
    client.force_login(buyer)
    assert client.post(reverse("reputation:policy_archive", args=[policy.pk])).status_code == 302
    policy.refresh_from_db()
    assert policy.archived_at is not None
