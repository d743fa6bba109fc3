"""Attachments (evidence.attachments, evidence.services.attachment_store): deduplicated within an organization
only, and the filename belongs to the record, so uploading a file never tells one vendor about another's
(issue 10, finding 4)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from accounts.models import User
from evidence import services
from evidence.models import Attachment, EvidenceRecord
from pacts import services as pact_services
from pacts.models import Agent

pytestmark = pytest.mark.django_db

SECRET = b"%PDF-1.7\nthe acquisition plan\n"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def agent_b(vendor_b: User) -> Agent:
    return pact_services.agent_create(user=vendor_b, name="Helix Scheduler", slug="helix-scheduler")


def attached(filename: str, data: bytes = SECRET) -> dict[str, str]:
    return {"filename": filename, "content_type": "application/pdf", "data_base64": base64.b64encode(data).decode()}


def submit(agent: Agent, user: User, record: dict[str, Any]) -> EvidenceRecord:
    [stored] = services.evidence_submit(agent=agent, items=[record], user=user, batch=False)
    return EvidenceRecord.objects.select_related("attachment").get(pk=stored.id)


def test_the_same_bytes_from_another_vendor_get_their_own_row_and_their_own_name(
    agent: Agent, vendor: User, agent_b: Agent, vendor_b: User, wire: Callable[..., dict[str, Any]]
) -> None:
    theirs = submit(agent, vendor, wire(visibility="restricted", attachment=attached("acquisition-plan.pdf")))
    mine = submit(agent_b, vendor_b, wire(attachment=attached("scan.pdf")))
    assert mine.attachment_id != theirs.attachment_id
    assert mine.attachment is not None and mine.attachment.organization_id == agent_b.organization_id
    assert mine.attachment_name == "scan.pdf"
    assert Attachment.objects.filter(sha256=mine.attachment.sha256).count() == 2


def test_a_vendor_learns_nothing_of_another_vendors_upload_over_the_api(
    agent: Agent, vendor: User, agent_b: Agent, vendor_b: User, wire: Callable[..., dict[str, Any]], bearer: Any
) -> None:
    submit(agent, vendor, wire(visibility="restricted", attachment=attached("acquisition-plan.pdf")))
    response = bearer(vendor_b).post(
        f"/api/v1/agents/{agent_b.slug}/evidence/", wire(attachment=attached("")), format="json"
    )
    assert response.status_code == 201
    assert response.json()["attachment"]["filename"] == ""
    assert "acquisition-plan" not in response.content.decode()


def test_within_an_organization_the_bytes_are_stored_once_and_each_record_keeps_its_name(
    agent: Agent, vendor: User, wire: Callable[..., dict[str, Any]]
) -> None:
    first = submit(agent, vendor, wire(attachment=attached("q3-report.pdf")))
    second = submit(agent, vendor, wire(attachment=attached("q3-report-final.pdf")))
    assert first.attachment_id == second.attachment_id
    assert (first.attachment_name, second.attachment_name) == ("q3-report.pdf", "q3-report-final.pdf")
    assert first.attachment is not None and first.attachment.filename == ""  # the name is the record's


def test_one_batch_carrying_the_same_bytes_twice_stores_them_once(
    agent: Agent, vendor: User, wire: Callable[..., dict[str, Any]]
) -> None:
    stored = services.evidence_submit(
        agent=agent, items=[wire(attachment=attached("a.pdf")), wire(attachment=attached("b.pdf"))], user=vendor
    )
    records = EvidenceRecord.objects.filter(pk__in=[s.id for s in stored]).order_by("pk")
    assert len({r.attachment_id for r in records}) == 1
    assert [r.attachment_filename for r in records] == ["a.pdf", "b.pdf"]


def test_the_canonical_record_names_the_bytes_not_the_file(
    agent: Agent, vendor: User, wire: Callable[..., dict[str, Any]]
) -> None:
    record = submit(agent, vendor, wire(attachment=attached("board-minutes.pdf")))
    assert "board-minutes" not in record.canonical
    assert record.attachment is not None and record.attachment.sha256 in record.canonical


def test_the_download_carries_the_records_name(
    client: Client, agent: Agent, vendor: User, agent_b: Agent, vendor_b: User, wire: Callable[..., dict[str, Any]]
) -> None:
    submit(agent, vendor, wire(attachment=attached("acquisition-plan.pdf")))
    mine = submit(agent_b, vendor_b, wire(attachment=attached("scan.pdf")))
    response = client.get(f"/evidence/{mine.pk}/attachment/")
    assert response["Content-Disposition"] == 'attachment; filename="scan.pdf"'
    assert b"".join(response.streaming_content) == SECRET  # type: ignore[attr-defined]
    assert "scan.pdf" in client.get(f"/evidence/{mine.pk}/").content.decode()


def test_a_nameless_download_is_named_by_its_hash(
    client: Client, agent_b: Agent, vendor_b: User, wire: Callable[..., dict[str, Any]], agent: Agent, vendor: User
) -> None:
    submit(agent, vendor, wire(attachment=attached("acquisition-plan.pdf")))
    mine = submit(agent_b, vendor_b, wire(attachment=attached("")))
    assert mine.attachment is not None
    response = client.get(f"/evidence/{mine.pk}/attachment/")
    assert response["Content-Disposition"] == f'attachment; filename="{mine.attachment.sha256}"'


def test_a_restricted_attachment_is_404_to_another_vendor(
    client: Client, agent: Agent, vendor: User, vendor_b: User, wire: Callable[..., dict[str, Any]]
) -> None:
    record = submit(agent, vendor, wire(visibility="restricted", attachment=attached("acquisition-plan.pdf")))
    client.force_login(vendor_b)
    assert client.get(f"/evidence/{record.pk}/attachment/").status_code == 404
    assert client.get(f"/evidence/{record.pk}/").status_code == 404
