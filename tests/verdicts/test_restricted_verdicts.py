"""Verdicts resting on restricted evidence (issue 10, finding 2): outsiders see the status and that it rests
on restricted evidence, never the measured value, samples, record counts or freshness derived from it; their
bundle marks such a clause "not recomputable in this scope" and the verifier reports it so."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.urls import reverse

from evidence import services
from transparency import log as tlog
from trustcore.verify import verify_bundle
from verdicts.bundle import bundle_build
from verdicts.evaluation import agent_evaluate
from verdicts.models import Verdict
from verdicts.selectors import RESTRICTED_NOTE, shown

pytestmark = pytest.mark.django_db
URL = "/api/v1/agents/refund-bot/verdicts/"
WITHHELD = ("measured", "samples", "used_records", "refused_records", "freshest_at")


@pytest.fixture
def restricted_only(published_pact, agent, vendor, wire):
    """The resolution-rate clause judged on one restricted record alone: 37 of 412."""
    services.evidence_submit(agent=agent, items=[wire(visibility="restricted", successes=37, trials=412)], user=vendor)
    agent_evaluate(agent_id=agent.pk)
    return Verdict.objects.get(agent=agent, clause_id="resolution-rate", is_current=True)


def _clause(body: dict, clause_id: str = "resolution-rate") -> dict:
    return next(v for v in body["results"] if v["clause_id"] == clause_id)


def test_a_verdict_records_that_it_rests_on_restricted_evidence(restricted_only) -> None:
    assert restricted_only.rests_on_restricted
    assert restricted_only.samples == 412 and restricted_only.used_records == 1


def test_outsiders_see_the_status_but_nothing_derived_from_restricted_evidence(
    restricted_only, api_client, bearer, buyer
) -> None:
    for client in (api_client, bearer(buyer)):
        response = client.get(URL)
        verdict = _clause(response.json())
        assert verdict["status"] == restricted_only.status == "breached"
        assert verdict["rests_on_restricted"] is True and verdict["withheld"] is True
        assert all(verdict[name] is None for name in WITHHELD)
        assert verdict["refusals"] == [] and verdict["note"] == RESTRICTED_NOTE
        assert str(restricted_only.measured)[:6] not in response.content.decode()


def test_the_history_of_a_restricted_verdict_is_withheld_from_outsiders_too(restricted_only, api_client) -> None:
    body = api_client.get(f"{URL}?history=1&clause=resolution-rate").json()
    assert body["results"] and all(v["withheld"] and v["measured"] is None for v in body["results"])


def test_the_vendor_and_a_grantee_see_the_values(restricted_only, bearer, vendor, buyer, agent) -> None:
    services.access_grant_create(agent=agent, organization=buyer.organization, user=vendor)
    for user in (vendor, buyer):
        verdict = _clause(bearer(user).get(URL).json())
        assert verdict["withheld"] is False and verdict["rests_on_restricted"] is True
        assert verdict["samples"] == 412 and verdict["used_records"] == 1
        assert verdict["measured"] == pytest.approx(37 / 412)


def test_a_verdict_on_public_evidence_is_not_withheld(published_pact, agent, vendor, wire, api_client) -> None:
    services.evidence_submit(agent=agent, items=[wire(successes=37, trials=412)], user=vendor)
    agent_evaluate(agent_id=agent.pk)
    verdict = _clause(api_client.get(URL).json())
    assert verdict["rests_on_restricted"] is False and verdict["withheld"] is False
    assert verdict["samples"] == 412


def test_restricted_evidence_arriving_later_writes_a_new_verdict(published_pact, agent, vendor, wire) -> None:
    services.evidence_submit(agent=agent, items=[wire(successes=370, trials=412)], user=vendor)
    agent_evaluate(agent_id=agent.pk)
    services.evidence_submit(agent=agent, items=[wire(visibility="restricted", successes=0, trials=0 + 1)], user=vendor)
    agent_evaluate(agent_id=agent.pk)
    assert Verdict.objects.get(agent=agent, clause_id="resolution-rate", is_current=True).rests_on_restricted


def test_a_withheld_verdict_is_never_saved(restricted_only, agent) -> None:
    (view,) = shown([restricted_only], user=None, agent=agent)
    assert view.withheld and view.measured is None
    with pytest.raises(ValueError, match="never saved"):
        view.save()


def test_the_agent_page_shows_outsiders_the_status_only(restricted_only, client, agent) -> None:
    page = client.get(reverse("pacts:agent", args=[agent.slug])).content.decode()
    assert 'data-testid="withheld-resolution-rate"' in page
    assert "rests on restricted evidence" in page
    assert str(restricted_only.measured)[:6] not in page  # neither in the facts nor in the chart's data
    assert ">412<" not in page


def test_the_clause_page_shows_outsiders_the_status_only(restricted_only, client, agent, published_pact) -> None:
    url = reverse("verdicts:clause", args=[agent.slug, published_pact.pk, "resolution-rate"])
    page = client.get(url).content.decode()
    assert 'data-testid="withheld"' in page
    assert str(restricted_only.measured)[:6] not in page


def test_the_vendor_page_says_outsiders_see_the_status_only(restricted_only, client, vendor, agent) -> None:
    client.force_login(vendor)
    page = client.get(reverse("pacts:agent", args=[agent.slug])).content.decode()
    assert 'data-testid="restricted-resolution-rate"' in page
    assert 'data-testid="withheld-resolution-rate"' not in page


def test_an_outsiders_bundle_marks_the_clause_not_recomputable_and_the_verifier_says_so(
    restricted_only, agent, vendor, tmp_path
) -> None:
    tlog.checkpoint_sign()
    bundle = bundle_build(user=None, agent=agent)
    verdict = next(v for v in bundle["pacts"][0]["verdicts"] if v["clause_id"] == "resolution-rate")
    assert verdict["recomputable"] is False and verdict["status"] == "breached"
    assert not {"measured", "samples", "used"} & set(verdict)
    key = tlog.signing_key().public_pem.encode()
    assert len(verify_bundle(bundle, key)["not_recomputable"]) == 1
    (tmp_path / "bundle.json").write_text(json.dumps(bundle))
    (tmp_path / "key.pem").write_bytes(key)
    run = subprocess.run(
        [sys.executable, "-m", "trustcore", str(tmp_path / "bundle.json"), "--key", str(tmp_path / "key.pem")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "NOT RECOMPUTABLE IN THIS SCOPE" in run.stdout and "resolution-rate" in run.stdout
    inside = bundle_build(user=vendor, agent=agent)  # the vendor's bundle carries the record: recomputed
    assert verify_bundle(inside, key)["not_recomputable"] == []


def test_a_bundle_cannot_be_edited_to_call_a_clause_not_recomputable(restricted_only, agent, vendor) -> None:
    from trustcore.verify import BundleInvalid

    tlog.checkpoint_sign()
    bundle = bundle_build(user=vendor, agent=agent)
    for verdict in bundle["pacts"][0]["verdicts"]:
        verdict.update(recomputable=False)
    with pytest.raises(BundleInvalid, match="differs from what the portal signed"):
        verify_bundle(bundle, tlog.signing_key().public_pem.encode())
