"""Dispute pages through the Django client: who sees which page, each action through its page POST (plain and
htmx), refusals shown inline with their status, downloads, the queue, precedent, conflicts and the buttons
other pages grow."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from disputes import workflow
from disputes.models import ArbiterConflict, Dispute, Ruling, Status, SubmissionAttachment
from disputes.rulings import dispute_rule
from reputation.models import LedgerEntry
from tests.factories import member

pytestmark = pytest.mark.django_db

RATIONALE = (
    "The buyer's request logs show failures the telemetry never counted, and the vendor did not contest "
    "them in its response. The clause was breached in that window."
)
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(dispute: Dispute, action: str = "") -> str:
    if action:
        return reverse("disputes:action", args=[dispute.pk, action])
    return reverse("disputes:detail", args=[dispute.pk])


def signed_in(client, user):  # type: ignore[no-untyped-def]
    client.force_login(user)
    return client


@pytest.fixture
def under_review(file, vendor):  # type: ignore[no-untyped-def]
    return workflow.dispute_respond(user=vendor, dispute=file(), statement="The telemetry is complete.")


@pytest.fixture
def assigned(under_review, arbiter):  # type: ignore[no-untyped-def]
    return workflow.dispute_assign(user=arbiter, dispute=under_review)


@pytest.fixture
def ruled(assigned, arbiter):  # type: ignore[no-untyped-def]
    ruling = dispute_rule(
        user=arbiter,
        dispute=assigned,
        outcome="upheld",
        rationale=RATIONALE,
        consequences=[{"action": "service_credit", "percent": 10}],
    )
    return Dispute.objects.get(pk=ruling.dispute_id)


# --- the list --------------------------------------------------------------------------------------------------


def test_the_list_shows_each_party_its_disputes_and_staff_all(file, client, buyer, vendor, staff, buyer_b) -> None:
    dispute = file()
    for user in (buyer, vendor, staff):
        page = signed_in(client, user).get(reverse("disputes:list")).content.decode()
        assert page.count('data-testid="dispute-row"') == 1 and f"#{dispute.pk}" in page
        assert "Awaiting response" in page and "Response due" in page
    page = signed_in(client, buyer_b).get(reverse("disputes:list")).content.decode()
    assert 'data-testid="dispute-row"' not in page and "No dispute yet" in page


def test_the_list_filters_by_status_and_side_and_answers_htmx_with_the_results(file, client, buyer) -> None:
    file()
    client.force_login(buyer)
    assert 'data-testid="dispute-row"' not in client.get(reverse("disputes:list"), {"status": "ruled"}).content.decode()
    assert (
        'data-testid="dispute-row"' not in client.get(reverse("disputes:list"), {"role": "respondent"}).content.decode()
    )
    response = client.get(reverse("disputes:list"), {"role": "claimant"}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200 and page.lstrip().startswith('<div id="results">')
    assert page.count('data-testid="dispute-row"') == 1


def test_the_list_pages_in_constant_queries(file, client, staff, django_assert_max_num_queries) -> None:
    file()
    client.force_login(staff)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("disputes:list")).status_code == 200


def test_an_anonymous_visitor_is_sent_to_sign_in(client) -> None:
    response = client.get(reverse("disputes:list"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


# --- filing ------------------------------------------------------------------------------------------------------


def new_url(agent, kind: str, subject_id) -> str:  # type: ignore[no-untyped-def]
    return f"{reverse('disputes:file')}?agent={agent.slug}&subject_type={kind}&subject_id={subject_id}"


def test_the_filing_form_prefills_the_subject_and_offers_the_buyers_claims(client, buyer, agent, verdict) -> None:
    response = signed_in(client, buyer).get(new_url(agent, "verdict", verdict.pk))
    page = response.content.decode()
    assert response.status_code == 200
    assert f'name="subject_id" value="{verdict.pk}"' in page and 'name="subject_type" value="verdict"' in page
    assert 'value="breach_not_recorded"' in page and 'value="verdict_wrong"' in page
    assert 'value="consequence_unhonoured"' not in page  # a buyer claims that about a ledger entry only
    assert 'name="respondent"' not in page  # the vendor answers a buyer's claim
    assert "resolution-rate" in page and "yours may be the first" in page
    assert 'type="file"' in page and "multiple" in page and 'name="confidential"' in page


def test_file_a_dispute_on_the_agents_page_asks_what_it_is_about(client, buyer, agent, verdict) -> None:
    """The profile's button names only the agent: a picker of its clauses, each leading to a prefilled form."""
    import html
    import re

    response = signed_in(client, buyer).get(f"{reverse('disputes:file')}?agent={agent.slug}")
    page = response.content.decode()
    assert response.status_code == 200 and 'data-testid="subject-picker"' in page and "subject-error" not in page
    links = [html.unescape(h) for h in re.findall(r'data-testid="pick-(?:verdict|clause)" href="([^"]+)"', page)]
    assert len(links) == 2
    for link in links:
        form = client.get(link)
        assert form.status_code == 200 and 'data-testid="file-form"' in form.content.decode(), link


def test_the_filing_form_shows_the_earlier_rulings_on_the_clause(ruled, client, buyer, agent, verdict) -> None:
    ruling = Ruling.objects.get(dispute=ruled)
    page = signed_in(client, buyer).get(new_url(agent, "verdict", verdict.pk)).content.decode()
    assert f'id="ruling-{ruling.pk}"' in page and "Upheld" in page
    assert "a service credit of 10 % of the monthly fee" in page


def test_filing_through_the_form_with_an_attachment_opens_the_dispute(client, buyer, agent, verdict) -> None:
    client.force_login(buyer)
    logs = SimpleUploadedFile("requests.csv", b"at,outcome\n2026-11-28,failed\n", content_type="text/csv")
    response = client.post(
        reverse("disputes:file"),
        {
            "agent": agent.slug,
            "subject_type": "verdict",
            "subject_id": str(verdict.pk),
            "claim_type": "breach_not_recorded",
            "requested_remedy": "Record the breach.",
            "statement": "Our logs show 40 % of refunds failed on the 28th.",
            "confidential": "on",
            "attachments": [logs],
        },
    )
    dispute = Dispute.objects.get()
    assert response.status_code == 302 and response["Location"] == url(dispute)
    assert dispute.status == Status.AWAITING_RESPONSE and dispute.claimant_id == buyer.organization.pk
    stored = SubmissionAttachment.objects.get(submission__dispute=dispute)
    assert stored.filename == "requests.csv" and stored.attachment.content_type == "text/csv"
    assert dispute.submissions.get().confidential


def test_filing_twice_is_a_409_pointing_at_the_open_dispute(file, client, buyer, agent, verdict) -> None:
    first = file()
    response = signed_in(client, buyer).post(
        reverse("disputes:file"),
        {
            "agent": agent.slug,
            "subject_type": "verdict",
            "subject_id": str(verdict.pk),
            "claim_type": "breach_not_recorded",
            "requested_remedy": "Record the breach.",
            "statement": "Again.",
        },
    )
    assert response.status_code == 409
    assert url(first) in response.content.decode() and Dispute.objects.count() == 1


def test_a_buyer_without_an_engagement_is_refused_with_403(client, buyer_b, agent, verdict) -> None:
    response = signed_in(client, buyer_b).post(
        reverse("disputes:file"),
        {
            "agent": agent.slug,
            "subject_type": "verdict",
            "subject_id": str(verdict.pk),
            "claim_type": "breach_not_recorded",
            "requested_remedy": "Record it.",
            "statement": "We saw failures.",
        },
    )
    assert response.status_code == 403 and "engage the agent first" in response.content.decode()
    assert not Dispute.objects.exists()


def test_a_missing_field_is_a_400_on_its_field(client, buyer, agent, verdict) -> None:
    response = signed_in(client, buyer).post(
        reverse("disputes:file"),
        {"agent": agent.slug, "subject_type": "verdict", "subject_id": str(verdict.pk), "claim_type": "other"},
    )
    assert response.status_code == 400 and 'id="id_statement_error"' in response.content.decode()


def test_an_unknown_subject_says_so(client, buyer, agent, verdict) -> None:
    response = signed_in(client, buyer).get(new_url(agent, "verdict", 999999))
    assert response.status_code == 400 and "No verdict 999999" in response.content.decode()


def test_a_buyer_may_not_dispute_an_evidence_record(client, buyer, agent, verdict) -> None:
    from evidence.models import EvidenceRecord

    record = EvidenceRecord.objects.filter(agent=agent).first()
    response = signed_in(client, buyer).get(new_url(agent, "evidence", record.pk))
    assert response.status_code == 403 and "may not dispute an evidence record" in response.content.decode()


def test_a_vendor_filing_chooses_the_respondent_among_engaged_buyers(client, vendor, buyer, agent, verdict) -> None:
    from evidence.models import EvidenceRecord

    record = EvidenceRecord.objects.filter(agent=agent).first()
    page = signed_in(client, vendor).get(new_url(agent, "evidence", record.pk)).content.decode()
    assert 'name="respondent"' in page and f'value="{buyer.organization.slug}" selected' in page
    assert 'value="evidence_invalid"' in page and 'value="breach_not_recorded"' not in page


@pytest.mark.parametrize("who", ["arbiter", "outsider"])
def test_who_may_not_file_is_refused_the_form(who, request, client, agent, verdict) -> None:
    response = signed_in(client, request.getfixturevalue(who)).get(new_url(agent, "verdict", verdict.pk))
    assert response.status_code == 403


# --- the dispute page ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["buyer", "vendor", "arbiter", "staff"])
def test_the_dispute_page_renders_for_the_parties_arbiters_and_staff(who, request, file, client) -> None:
    dispute = file()
    response = signed_in(client, request.getfixturevalue(who)).get(url(dispute))
    page = response.content.decode()
    assert response.status_code == 200
    assert f"Dispute #{dispute.pk}" in page and 'data-testid="timeline"' in page
    assert page.count('data-testid="submission"') == 1 and 'data-testid="leaf"' in page


@pytest.mark.parametrize("who", ["buyer_b", "vendor_b", "outsider"])
def test_the_dispute_page_is_a_404_to_anyone_else(who, request, file, client) -> None:
    dispute = file()
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(dispute)).status_code == 404
    assert client.post(url(dispute, "withdraw"), {}).status_code == 404
    Dispute.objects.get(pk=dispute.pk, status=Status.AWAITING_RESPONSE)


def test_the_page_counts_down_the_deadline_and_offers_only_the_viewers_actions(file, client, buyer, vendor) -> None:
    dispute = file()
    page = signed_in(client, vendor).get(url(dispute)).content.decode()
    assert "Response due" in page and re.search(r"due in 4 days 23 h|due in 5 days 0 h", page)
    assert 'data-testid="action-respond"' in page and 'data-testid="action-settle"' in page
    assert 'data-testid="action-withdraw"' not in page and 'data-testid="ruling-form"' not in page
    page = signed_in(client, buyer).get(url(dispute)).content.decode()
    assert 'data-testid="action-withdraw"' in page and 'data-testid="action-respond"' not in page


def test_an_overdue_step_says_by_how_much_and_a_default_is_badged(file, client, vendor) -> None:
    dispute = file()
    Dispute.objects.filter(pk=dispute.pk).update(due_by=timezone.now() - timedelta(days=1, hours=2, minutes=5))
    page = signed_in(client, vendor).get(url(dispute)).content.decode()
    assert "overdue by 1 day 2 h" in page and "is-overdue" in page
    Dispute.objects.filter(pk=dispute.pk).update(status=Status.UNDER_REVIEW, respondent_defaulted=True)
    page = client.get(url(dispute)).content.decode()
    assert 'data-testid="defaulted"' in page and "let the deadline pass" in page


def test_the_page_answers_htmx_with_the_dispute_fragment(file, client, buyer) -> None:
    dispute = file()
    page = signed_in(client, buyer).get(url(dispute), **HTMX).content.decode()
    assert page.lstrip().startswith('<div id="dispute"') and "<html" not in page


# --- actions through their page POST ---------------------------------------------------------------------------------


def test_the_respondent_responds_with_a_plain_post_and_is_redirected(file, client, vendor) -> None:
    dispute = file()
    logs = SimpleUploadedFile("trace.json", b'{"sampled": false}', content_type="application/json")
    response = signed_in(client, vendor).post(
        url(dispute, "respond"), {"respond-statement": "Every request is logged.", "respond-attachments": [logs]}
    )
    assert response.status_code == 302 and response["Location"] == url(dispute)
    dispute.refresh_from_db()
    assert dispute.status == Status.UNDER_REVIEW
    assert SubmissionAttachment.objects.get(submission__stage="response").filename == "trace.json"
    page = client.get(url(dispute)).content.decode()
    assert "Your response is recorded" in page and "Every request is logged." in page
    assert 'data-testid="respondent-side"' in page and "trace.json" in page


def test_an_htmx_response_re_renders_the_dispute_with_a_message(file, client, vendor) -> None:
    dispute = file()
    response = signed_in(client, vendor).post(url(dispute, "respond"), {"respond-statement": "Complete."}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200 and page.lstrip().startswith('<div id="dispute"')
    assert 'data-testid="flash"' in page and "Under review" in page and 'data-testid="action-respond"' not in page


def test_a_party_without_the_right_gets_the_refusal_inline_with_403(file, client, buyer) -> None:
    dispute = file()
    response = signed_in(client, buyer).post(url(dispute, "respond"), {"respond-statement": "Not ours."}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 403 and response["X-Fragment"] == "swap"
    assert 'data-testid="refusal"' in page and "Only the respondent" in page
    assert Dispute.objects.get(pk=dispute.pk).status == Status.AWAITING_RESPONSE


def test_a_refused_transition_is_a_409_naming_the_state(under_review, client, vendor) -> None:
    response = signed_in(client, vendor).post(url(under_review, "respond"), {"respond-statement": "Again."}, **HTMX)
    assert response.status_code == 409 and "under review" in response.content.decode()


def test_an_invalid_form_is_a_400_with_the_field_error(file, client, vendor) -> None:
    dispute = file()
    response = signed_in(client, vendor).post(url(dispute, "respond"), {"respond-statement": ""}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 400 and 'id="id_respond-statement_error"' in page
    response = client.post(url(dispute, "respond"), {"respond-statement": ""})
    assert response.status_code == 400 and "<html" in response.content.decode()


def test_an_unknown_action_is_a_404(file, client, buyer) -> None:
    assert signed_in(client, buyer).post(url(file(), "explode"), {}).status_code == 404


def test_an_arbiter_claims_from_the_queue_and_the_row_says_so(under_review, client, arbiter, arbiter_b) -> None:
    response = signed_in(client, arbiter).post(url(under_review, "assign"), {"from": "queue"}, **HTMX)
    page = response.content.decode()
    assert response.status_code == 200 and page.lstrip().startswith(f'<tr id="queue-{under_review.pk}"')
    assert "assigned to you" in page
    assert Dispute.objects.get(pk=under_review.pk).arbiter == arbiter
    response = signed_in(client, arbiter_b).post(url(under_review, "assign"), {"from": "queue"}, **HTMX)
    assert response.status_code == 409 and "already assigned to another arbiter" in response.content.decode()


def test_staff_assign_a_named_arbiter(under_review, client, staff, arbiter_b) -> None:
    page = signed_in(client, staff).get(url(under_review)).content.decode()
    assert f'value="{arbiter_b.username}"' in page
    response = client.post(url(under_review, "assign"), {"assign-arbiter": arbiter_b.username})
    assert response.status_code == 302 and Dispute.objects.get(pk=under_review.pk).arbiter == arbiter_b


def test_the_arbiter_asks_and_the_asked_party_answers(assigned, client, arbiter, vendor) -> None:
    response = signed_in(client, arbiter).post(
        url(assigned, "request-info"), {"request_info-party": "respondent", "request_info-question": "Sampling?"}
    )
    assert response.status_code == 302
    page = signed_in(client, vendor).get(url(assigned)).content.decode()
    assert 'data-testid="question"' in page and "Sampling?" in page and 'data-testid="action-submit-info"' in page
    response = client.post(url(assigned, "submit-info"), {"submit_info-statement": "All of them."}, **HTMX)
    assert response.status_code == 200 and "Answer to a question" in response.content.decode()
    assert Dispute.objects.get(pk=assigned.pk).status == Status.UNDER_REVIEW


def test_the_ruling_form_offers_only_what_the_pact_allows(assigned, client, arbiter, buyer) -> None:
    page = signed_in(client, arbiter).get(url(assigned)).content.decode()
    assert 'data-testid="ruling-form"' in page
    assert 'name="rule-credit_percent"' in page and 'max="10"' in page
    assert 'value="probation"' in page and 'value="suspended"' in page  # a critical clause
    assert 'name="rule-override_status"' in page and 'data-counter="rationale-count"' in page
    page = signed_in(client, buyer).get(url(assigned)).content.decode()
    assert 'data-testid="ruling-form"' not in page


def test_the_arbiter_rules_upheld_with_a_credit_and_the_page_shows_it(assigned, client, arbiter, buyer) -> None:
    response = signed_in(client, arbiter).post(
        url(assigned, "rule"),
        {
            "rule-outcome": "upheld",
            "rule-rationale": RATIONALE,
            "rule-credit_percent": "10",
            "rule-override_status": "breached",
            "rule-override_days": "10",
        },
        **HTMX,
    )
    page = response.content.decode()
    assert response.status_code == 200 and "Ruled" in page
    ruling = Ruling.objects.get(dispute=assigned)
    assert ruling.outcome == "upheld" and {c["action"] for c in ruling.consequences} == {
        "service_credit",
        "verdict_override",
    }
    assert LedgerEntry.objects.filter(ruling_id=ruling.pk).count() == 1
    assert "a service credit of 10 % of the monthly fee" in page and "reads breached for 10 days" in page
    page = signed_in(client, buyer).get(url(assigned)).content.decode()
    assert 'data-testid="action-appeal"' in page and "Appeal window closes" in page


def test_a_credit_above_the_pacts_and_a_short_rationale_are_400s(assigned, client, arbiter) -> None:
    response = signed_in(client, arbiter).post(
        url(assigned, "rule"),
        {"rule-outcome": "upheld", "rule-rationale": "Too short.", "rule-credit_percent": "25"},
        **HTMX,
    )
    page = response.content.decode()
    assert response.status_code == 400 and 'id="id_rule-rationale_error"' in page
    assert 'id="id_rule-credit_percent_error"' in page and not Ruling.objects.exists()


def test_a_rejected_claim_with_consequences_is_refused_by_the_service(assigned, client, arbiter) -> None:
    response = signed_in(client, arbiter).post(
        url(assigned, "rule"),
        {"rule-outcome": "rejected", "rule-rationale": RATIONALE, "rule-credit_percent": "5"},
        **HTMX,
    )
    assert response.status_code == 400 and "A rejected claim applies no consequences." in response.content.decode()


def test_a_ruling_cites_a_suggested_precedent(ruled, client, buyer, vendor, arbiter_b, agent) -> None:
    first = Ruling.objects.get(dispute=ruled)
    workflow.dispute_close(user=None, dispute=Dispute.objects.get(pk=ruled.pk), now=timezone.now() + timedelta(days=8))
    second = workflow.dispute_respond(
        user=vendor, dispute=_file_about_clause(buyer, agent), statement="We disagree entirely."
    )
    workflow.dispute_assign(user=arbiter_b, dispute=second)
    page = signed_in(client, arbiter_b).get(url(second)).content.decode()
    assert f'id="cite-{first.pk}"' in page
    response = client.post(
        url(second, "rule"), {"rule-outcome": "rejected", "rule-rationale": RATIONALE, "rule-cites": [str(first.pk)]}
    )
    assert response.status_code == 302
    ruling = Ruling.objects.get(dispute=second)
    assert list(ruling.cites.values_list("pk", flat=True)) == [first.pk]
    assert f"ruling #{first.pk}</a> (upheld)" in client.get(url(second)).content.decode()


def _file_about_clause(buyer, agent):  # type: ignore[no-untyped-def]
    from disputes.filing import dispute_file

    return dispute_file(
        user=buyer,
        agent=agent.slug,
        subject={"type": "clause", "id": "resolution-rate"},
        claim_type="breach_not_recorded",
        requested_remedy="Record it.",
        statement="The same failures again this week.",
    )


def test_an_appeal_supersedes_and_the_page_marks_it(ruled, client, vendor, arbiter_b) -> None:
    response = signed_in(client, vendor).post(
        url(ruled, "appeal"), {"appeal-statement": "New: the 28th was a load test on a staging tenant, see logs."}
    )
    assert response.status_code == 302 and Dispute.objects.get(pk=ruled.pk).status == Status.APPEALED
    workflow.dispute_assign(user=arbiter_b, dispute=Dispute.objects.get(pk=ruled.pk))
    client.force_login(arbiter_b)
    response = client.post(url(ruled, "rule"), {"rule-outcome": "rejected", "rule-rationale": RATIONALE + " No."})
    assert response.status_code == 302
    page = client.get(url(ruled)).content.decode()
    assert 'data-testid="superseded"' in page and page.count('data-testid="ruling"') == 2
    assert 'data-testid="action-close"' in page
    response = client.post(url(ruled, "close"), {}, **HTMX)
    assert response.status_code == 200 and Dispute.objects.get(pk=ruled.pk).status == Status.CLOSED


def test_closing_inside_the_appeal_window_is_a_409(ruled, client, arbiter) -> None:
    response = signed_in(client, arbiter).post(url(ruled, "close"), {}, **HTMX)
    assert response.status_code == 409 and "appeal window is open" in response.content.decode()


def test_the_claimant_withdraws(file, client, buyer) -> None:
    dispute = file()
    response = signed_in(client, buyer).post(url(dispute, "withdraw"), {"withdraw-note": "Resolved offline."})
    assert response.status_code == 302 and Dispute.objects.get(pk=dispute.pk).status == Status.WITHDRAWN
    assert "Resolved offline." in client.get(url(dispute)).content.decode()


def test_one_side_proposes_terms_and_the_other_accepts_them(file, client, buyer, vendor) -> None:
    dispute = file()
    signed_in(client, buyer).post(url(dispute, "settle"), {"settle-terms": "A 5 % credit and we close it."})
    page = signed_in(client, vendor).get(url(dispute)).content.decode()
    assert 'data-testid="settlement"' in page and "Accept or counter-propose" in page
    response = client.post(url(dispute, "settle"), {"settle-terms": ""}, **HTMX)
    assert response.status_code == 200 and "Settled" in response.content.decode()
    assert Dispute.objects.get(pk=dispute.pk).status == Status.SETTLED


# --- attachments ---------------------------------------------------------------------------------------------------


def test_an_attachment_downloads_only_to_who_may_see_the_dispute(file, client, buyer, buyer_b, arbiter) -> None:
    import base64

    dispute = file(
        attachments=[
            {
                "filename": "log.txt",
                "content_type": "text/plain",
                "data_base64": base64.b64encode(b"<b>hi</b>").decode(),
            }
        ]
    )
    stored = SubmissionAttachment.objects.get(submission__dispute=dispute)
    target = reverse("disputes:attachment", args=[dispute.pk, stored.pk])
    for user in (buyer, arbiter):
        response = signed_in(client, user).get(target)
        assert response.status_code == 200 and b"".join(response.streaming_content) == b"<b>hi</b>"
        assert response["Content-Type"] == "text/plain" and response["X-Content-Type-Options"] == "nosniff"
        assert (
            response["Content-Disposition"].startswith("attachment;") and "log.txt" in response["Content-Disposition"]
        )
    assert signed_in(client, buyer_b).get(target).status_code == 404
    missing = reverse("disputes:attachment", args=[dispute.pk, stored.pk + 1])
    assert signed_in(client, buyer).get(missing).status_code == 404


# --- the arbiter's pages ---------------------------------------------------------------------------------------------


def test_the_queue_offers_unassigned_disputes_with_claim_buttons(under_review, client, arbiter) -> None:
    page = signed_in(client, arbiter).get(reverse("disputes:queue")).content.decode()
    assert page.count('data-testid="queue-row"') == 1 and ">Claim</button>" in page and "Ruling due" in page
    assert 'data-testid="queue-row"' not in client.get(reverse("disputes:queue"), {"view": "mine"}).content.decode()
    response = client.get(reverse("disputes:queue"), {"overdue": "on"}, **HTMX)
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="queue-results">') and 'data-testid="queue-row"' not in page


def test_the_queue_leaves_out_a_conflicted_partys_disputes(under_review, client, arbiter, buyer) -> None:
    ArbiterConflict.objects.create(arbiter=arbiter, organization=buyer.organization)
    page = signed_in(client, arbiter).get(reverse("disputes:queue")).content.decode()
    assert 'data-testid="queue-row"' not in page
    assert signed_in(client, arbiter).get(url(under_review)).status_code == 404


@pytest.mark.parametrize("who", ["buyer", "vendor", "outsider"])
def test_the_queue_is_for_arbiters_and_staff_only(who, request, client) -> None:
    assert signed_in(client, request.getfixturevalue(who)).get(reverse("disputes:queue")).status_code == 403


def test_the_queue_lists_an_arbiters_own_docket(assigned, client, arbiter, staff) -> None:
    page = signed_in(client, arbiter).get(reverse("disputes:queue"), {"view": "mine"}).content.decode()
    assert page.count('data-testid="queue-row"') == 1 and ">Claim</button>" not in page
    assert signed_in(client, staff).get(reverse("disputes:queue")).status_code == 200


def test_an_arbiter_signs_in_to_the_queue_summary(under_review, client, arbiter) -> None:
    page = signed_in(client, arbiter).get(reverse("home")).content.decode()
    assert 'data-testid="home-queue"' in page and f"#{under_review.pk}" in page
    assert re.search(r'data-testid="home-waiting">1<', page)
    assert reverse("disputes:queue") in page


def test_a_party_home_shows_its_open_disputes_awaiting_it(file, client, vendor) -> None:
    file()
    page = signed_in(client, vendor).get(reverse("home")).content.decode()
    assert 'data-testid="home-disputes"' in page and "1 waiting for your answer" in page


def test_the_menu_offers_each_role_its_dispute_pages(client, buyer, arbiter) -> None:
    page = signed_in(client, buyer).get(reverse("home")).content.decode()
    assert f'href="{reverse("disputes:list")}"' in page and f'href="{reverse("disputes:queue")}"' not in page
    page = signed_in(client, arbiter).get(reverse("home")).content.decode()
    assert f'href="{reverse("disputes:queue")}"' in page and f'href="{reverse("disputes:precedent")}"' in page


# --- precedent and conflicts --------------------------------------------------------------------------------------------


def test_precedent_is_public_for_closed_disputes_and_redacts_confidential_ones(ruled, client, buyer_b) -> None:
    ruling = Ruling.objects.get(dispute=ruled)
    assert 'data-testid="precedent-ruling"' not in client.get(reverse("disputes:precedent")).content.decode()
    workflow.dispute_close(user=None, dispute=Dispute.objects.get(pk=ruled.pk), now=timezone.now() + timedelta(days=8))
    page = client.get(reverse("disputes:precedent"), {"clause_id": "resolution-rate"}).content.decode()
    assert f'id="ruling-{ruling.pk}"' in page and "never counted" in page
    assert url(ruled) not in page  # an outsider does not learn which dispute it was
    ruled.submissions.update(confidential=True)
    page = signed_in(client, buyer_b).get(reverse("disputes:precedent"), {"outcome": "upheld"}, **HTMX).content.decode()
    assert page.lstrip().startswith('<div id="precedent-results">') and 'data-testid="redacted"' in page
    assert "never counted" not in page
    assert (
        'data-testid="precedent-ruling"'
        not in client.get(reverse("disputes:precedent"), {"outcome": "rejected"}).content.decode()
    )


def test_an_arbiter_declares_and_removes_a_conflict(under_review, client, arbiter, buyer) -> None:
    client.force_login(arbiter)
    response = client.post(
        reverse("disputes:conflicts"), {"organization": buyer.organization.slug, "note": "ex-employer"}
    )
    assert response.status_code == 302
    conflict = ArbiterConflict.objects.get(arbiter=arbiter)
    page = client.get(reverse("disputes:conflicts")).content.decode()
    assert 'data-testid="conflict-row"' in page and "ex-employer" in page
    response = client.post(reverse("disputes:conflicts"), {"organization": buyer.organization.slug})
    assert response.status_code == 409 and "already" in response.content.decode()
    assert client.post(reverse("disputes:conflict-delete", args=[conflict.pk])).status_code == 302
    assert not ArbiterConflict.objects.exists()


def test_conflicts_are_not_for_parties(client, buyer, arbiter, arbiter_b) -> None:
    assert signed_in(client, buyer).get(reverse("disputes:conflicts")).status_code == 403
    conflict = ArbiterConflict.objects.create(arbiter=arbiter, organization=member("x", "X Corp", "buyer").organization)
    assert signed_in(client, arbiter_b).post(reverse("disputes:conflict-delete", args=[conflict.pk])).status_code == 404


# --- other pages: "Dispute this" and the score --------------------------------------------------------------------------


def test_the_clause_page_offers_dispute_this_to_the_parties_only(client, buyer, arbiter, agent, verdict) -> None:
    clause_url = reverse("verdicts:clause", args=[agent.slug, verdict.pact_id, verdict.clause_id])
    page = signed_in(client, buyer).get(clause_url).content.decode()
    assert 'data-testid="dispute-this"' in page
    assert f"subject_type=verdict&amp;subject_id={verdict.pk}" in page
    assert 'data-testid="dispute-this"' not in signed_in(client, arbiter).get(clause_url).content.decode()


def test_evidence_and_ledger_entries_offer_dispute_this(client, vendor, buyer, agent, verdict, observe) -> None:
    from evidence.models import EvidenceRecord

    record = EvidenceRecord.objects.filter(agent=agent).first()
    page = signed_in(client, vendor).get(reverse("evidence:record", args=[record.pk])).content.decode()
    assert f"subject_type=evidence&amp;subject_id={record.pk}" in page
    page = signed_in(client, buyer).get(reverse("evidence:record", args=[record.pk])).content.decode()
    assert 'data-testid="dispute-this"' not in page  # a buyer disputes the verdict that used it, not the record
    observe(10)  # a breach: a credit in the ledger
    entry = LedgerEntry.objects.get(agent=agent)
    page = signed_in(client, buyer).get(reverse("reputation:ledger")).content.decode()
    assert f"subject_type=ledger_entry&amp;subject_id={entry.pk}" in page


def test_the_score_page_explains_a_rulings_effect(ruled, client, buyer, agent) -> None:
    ruling = Ruling.objects.get(dispute=ruled)
    page = signed_in(client, buyer).get(reverse("reputation:score", args=[agent.slug])).content.decode()
    assert f"ruling #{ruling.pk} (upheld) on clause resolution-rate" in page
    assert f'href="{url(ruled)}#ruling-{ruling.pk}"' in page
    page = client.logout() or client.get(reverse("reputation:score", args=[agent.slug])).content.decode()
    assert f"ruling #{ruling.pk} (upheld) on clause resolution-rate" in page and url(ruled) not in page
