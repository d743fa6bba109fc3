"""The agent and pact pages (pacts.views), through the Django test client."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from pacts import services
from pacts.demo_documents import refunds_v2, refunds_v3_loosened
from pacts.models import Agent, PactVersion

pytestmark = pytest.mark.django_db


def test_directory_is_public_and_marks_stale_pacts(client: Client, published_pact) -> None:
    published_pact.review_due_at = timezone.now() - timedelta(days=1)
    published_pact.save()
    html = client.get("/agents/").content.decode()
    assert "Refund Bot" in html
    assert "stale" in html


def test_directory_filter_with_htmx_returns_the_results_fragment(client: Client, published_pact) -> None:
    response = client.get("/agents/?q=nothing-matches", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="results">')
    assert "No agent matches" in html


def test_agent_page_shows_the_pact_in_plain_language_and_as_a_document(client: Client, published_pact) -> None:
    html = client.get("/agents/refund-bot/").content.decode()
    assert "success rate of task_success ≥ 92 %" in html
    assert "over 30 days, at least 200 samples, evidence at most 7 days old" in html
    assert "on breach: 10 % service credit and downgrade" in html
    assert "Machine-readable document (pact/v1)" in html
    assert "&quot;schema&quot;: &quot;pact/v1&quot;" in html


def test_agent_page_hides_drafts_from_others(client: Client, published_pact, vendor, vendor_b) -> None:
    services.pact_version_create_draft(pact=published_pact, user=vendor, document=refunds_v2())
    assert "Edit draft v2" not in client.get("/agents/refund-bot/").content.decode()
    client.force_login(vendor_b)
    assert ">v2<" not in client.get("/agents/refund-bot/").content.decode()
    assert client.get(f"/pacts/{published_pact.pk}/v/2/").status_code == 404
    client.force_login(vendor)
    assert "Edit draft v2" in client.get("/agents/refund-bot/").content.decode()


def test_never_published_pact_is_invisible_to_outsiders(client: Client, draft_pact, buyer) -> None:
    assert client.get(f"/pacts/{draft_pact.pk}/v/1/").status_code == 404
    client.force_login(buyer)
    assert client.get(f"/pacts/{draft_pact.pk}/v/1/").status_code == 404
    assert "not published a pact yet" in client.get("/agents/refund-bot/").content.decode()


def test_vendor_registers_an_agent_with_a_card_upload(client: Client, vendor) -> None:
    client.force_login(vendor)
    card = {
        "name": "Uploaded Bot",
        "description": "From a file",
        "version": "0.9",
        "capabilities": {},
        "skills": [{"id": "a", "name": "Answer"}],
    }
    upload = SimpleUploadedFile("card.json", json.dumps(card).encode(), content_type="application/json")
    response = client.post("/agents/new/", {"consequence_level": "low", "agent_card_file": upload})
    assert response.status_code == 302
    agent = Agent.objects.get(slug="uploaded-bot")
    assert agent.capabilities == ["Answer"]
    assert agent.agent_card == card


def test_register_with_a_taken_slug_shows_the_field_error(client: Client, agent, vendor_b) -> None:
    client.force_login(vendor_b)
    response = client.post("/agents/new/", {"name": "Twin", "slug": agent.slug, "consequence_level": "low"})
    assert response.status_code == 400
    assert response.context["form"].errors["slug"]


def test_register_with_broken_card_json_shows_line_and_column(client: Client, vendor) -> None:
    client.force_login(vendor)
    response = client.post("/agents/new/", {"consequence_level": "low", "agent_card": '{"name": }'})
    assert response.status_code == 400
    assert "line 1, column 10" in str(response.context["form"].errors["agent_card"])


def test_buyer_cannot_open_the_register_page(client: Client, buyer) -> None:
    client.force_login(buyer)
    assert client.get("/agents/new/").status_code == 403


def test_pact_editor_shows_errors_with_paths_then_saves(client: Client, agent, vendor, document) -> None:
    client.force_login(vendor)
    assert client.get("/agents/refund-bot/pacts/new/").status_code == 200
    document["obligations"][0]["max_evidence_age_days"] = 60
    response = client.post("/agents/refund-bot/pacts/new/", {"title": "Refunds", "document": json.dumps(document)})
    assert response.status_code == 400
    assert "$.obligations[0].max_evidence_age_days" in response.content.decode()
    document["obligations"][0]["max_evidence_age_days"] = 7
    response = client.post("/agents/refund-bot/pacts/new/", {"title": "Refunds", "document": json.dumps(document)})
    assert response.status_code == 302
    assert response["Location"].endswith("/v/1/")


def test_live_validation_fragment(client: Client, vendor, document) -> None:
    client.force_login(vendor)
    document["obligations"][0]["comparator"] = "=>"
    html = client.post("/pacts/validate/", {"document": json.dumps(document)}, HTTP_HX_REQUEST="true").content.decode()
    assert "$.obligations[0].comparator" in html
    assert "Expected one of" in html
    html = client.post("/pacts/validate/", {"document": "title: [oops"}).content.decode()
    assert "line 1" in html
    document["obligations"][0]["comparator"] = ">="
    html = client.post("/pacts/validate/", {"document": json.dumps(document)}).content.decode()
    assert "Valid pact/v1" in html
    assert "success rate of task_success ≥ 92 %" in html


def test_live_validation_needs_sign_in(client: Client) -> None:
    assert client.post("/pacts/validate/", {"document": "{}"}).status_code == 302


def test_edit_draft_then_publish_with_confirmation(client: Client, draft_pact, vendor, document) -> None:
    client.force_login(vendor)
    document["title"] = "Edited in the browser"
    response = client.post(f"/pacts/{draft_pact.pk}/v/1/", {"document": json.dumps(document), "changelog": "edit"})
    assert response.status_code == 302
    assert PactVersion.objects.get(pact=draft_pact).document["title"] == "Edited in the browser"

    client.post(f"/pacts/{draft_pact.pk}/v/1/publish/", {})  # no confirmation
    assert PactVersion.objects.get(pact=draft_pact).status == "draft"
    client.post(f"/pacts/{draft_pact.pk}/v/1/publish/", {"confirm": "on"})
    assert PactVersion.objects.get(pact=draft_pact).status == "published"

    response = client.post(f"/pacts/{draft_pact.pk}/v/1/", {"document": "{}"}, follow=True)
    assert "can no longer change" in response.content.decode()


def test_other_vendor_cannot_publish_or_edit(client: Client, draft_pact, vendor_b, document) -> None:
    client.force_login(vendor_b)
    assert client.post(f"/pacts/{draft_pact.pk}/v/1/publish/", {"confirm": "on"}).status_code == 404
    assert client.post(f"/pacts/{draft_pact.pk}/v/1/", {"document": json.dumps(document)}).status_code == 404
    assert client.post(f"/pacts/{draft_pact.pk}/review/").status_code == 404
    assert PactVersion.objects.get(pact=draft_pact).status == "draft"


def test_start_next_version_and_diff_page(client: Client, published_pact, vendor) -> None:
    client.force_login(vendor)
    response = client.post(f"/pacts/{published_pact.pk}/versions/new/")
    assert response.status_code == 302 and response["Location"].endswith("/v/2/")
    services.pact_version_update_draft(
        version=published_pact.versions.get(number=2), user=vendor, document=refunds_v3_loosened()
    )
    html = client.get(f"/pacts/{published_pact.pk}/diff/?from=1&to=2").content.decode()
    assert 'data-testid="clause-latency-p95"' in html
    assert "loosened" in html and "tightened" in html


def test_diff_page_with_bad_numbers_is_400(client: Client, published_pact) -> None:
    assert client.get(f"/pacts/{published_pact.pk}/diff/?from=x&to=1").status_code == 400


def test_re_review_from_the_agent_page(client: Client, published_pact, vendor) -> None:
    published_pact.review_due_at = timezone.now() - timedelta(days=3)
    published_pact.save()
    client.force_login(vendor)
    assert "stale: review was due" in client.get("/agents/refund-bot/").content.decode()
    client.post(f"/pacts/{published_pact.pk}/review/", {"next": "/agents/refund-bot/"})
    published_pact.refresh_from_db()
    assert not published_pact.is_stale


def test_follow_button_and_notification_page(client: Client, published_pact, vendor, buyer) -> None:
    client.force_login(buyer)
    html = client.post("/agents/refund-bot/follow/", HTTP_HX_REQUEST="true").content.decode()
    assert "Following · 1" in html
    draft = services.pact_version_create_draft(pact=published_pact, user=vendor, document=refunds_v3_loosened())
    services.pact_version_publish(version=draft, user=vendor)
    page = client.get("/accounts/notifications/")
    assert "Loosened clauses: latency-p95" in page.content.decode()
    nav = {item.label: item for item in page.context["nav_items"]}
    assert nav["Notifications"].badge == 1
    client.post("/accounts/notifications/")
    assert {i.label: i for i in client.get("/").context["nav_items"]}["Notifications"].badge == 0


@pytest.mark.parametrize("who", ["vendor_b", "buyer"])
@pytest.mark.parametrize(
    "path",
    ["/pacts/{pk}/review/", "/pacts/{pk}/versions/new/", "/pacts/{pk}/v/1/publish/"],
    ids=["review", "new-version", "publish"],
)
def test_outsiders_are_refused_403_on_writes_to_a_pact_they_can_see(
    client: Client, published_pact, request, who, path
) -> None:
    client.force_login(request.getfixturevalue(who))
    assert client.post(path.format(pk=published_pact.pk), {"confirm": "on"}).status_code == 403


@pytest.mark.parametrize("who", ["vendor_b", "buyer"])
def test_outsiders_are_refused_the_new_pact_page_of_an_agent_they_can_see(
    client: Client, published_pact, request, who
) -> None:
    client.force_login(request.getfixturevalue(who))
    assert client.get("/agents/refund-bot/pacts/new/").status_code == 403
