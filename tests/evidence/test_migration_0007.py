"""Migration evidence 0007: attachments shared across organizations are split, one row each, and no record's
canonical form changes; the append-only guard on records survives it. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("evidence", "0006_move_log_and_verdicts")]


def migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor


@pytest.fixture
def old_apps() -> Iterator[Any]:
    head = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        yield migrate(BEFORE).loader.project_state(BEFORE).apps
    finally:
        migrate(head)


def write_shared_attachment(apps: Any) -> dict[str, Any]:
    """Two vendors whose records use one attachment row (as the old global deduplication made), and an orphan."""
    model = apps.get_model
    now = timezone.now().replace(microsecond=0)
    Organization, User, Agent = model("accounts", "Organization"), model("accounts", "User"), model("pacts", "Agent")
    Attachment, EvidenceRecord = model("evidence", "Attachment"), model("evidence", "EvidenceRecord")
    acme = Organization.objects.create(name="Acme", slug="acme", kind="vendor", created_at=now)
    helix = Organization.objects.create(name="Helix", slug="helix", kind="vendor", created_at=now)
    vera = User.objects.create(username="vera", password="!", date_joined=now)
    shared = Attachment.objects.create(
        sha256="a" * 64,
        content_type="application/pdf",
        size=30,
        filename="acquisition-plan.pdf",
        file="evidence/" + "a" * 64,
        created_at=now,
    )
    Attachment.objects.create(sha256="b" * 64, content_type="text/plain", size=1, file="evidence/b", created_at=now)
    records = {}
    for name, organization in (("acme-1", acme), ("helix-1", helix), ("acme-2", acme), ("helix-2", helix)):
        agent, _ = Agent.objects.get_or_create(
            organization=organization,
            slug=f"{organization.slug}-bot",
            defaults={"name": f"{organization.name} Bot", "created_at": now, "updated_at": now},
        )
        canonical = f'{{"record":"{name}"}}'
        records[name] = EvidenceRecord.objects.create(
            agent=agent,
            kind="document",
            metric="policy_doc",
            value=1.0,
            sample_count=1,
            observed_from=now - timedelta(days=1),
            observed_to=now,
            received_at=now,
            canonical=canonical,
            canonical_hash=hashlib.sha256(canonical.encode()).hexdigest(),
            attachment=shared,
            submitted_by=vera,
        ).pk
    return {"records": records, "acme": acme.pk, "helix": helix.pk, "shared": shared.pk}


def canonical_forms() -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, canonical, canonical_hash, leaf_index FROM evidence_evidencerecord ORDER BY id")
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)
def test_an_attachment_two_organizations_used_becomes_one_row_each(old_apps: Any) -> None:
    written = write_shared_attachment(old_apps)
    before = canonical_forms()

    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    from evidence.models import Attachment, EvidenceRecord

    records = {
        name: EvidenceRecord.objects.select_related("attachment").get(pk=pk) for name, pk in written["records"].items()
    }
    acme_copy, helix_copy = records["acme-1"].attachment, records["helix-1"].attachment
    assert acme_copy is not None and helix_copy is not None
    # The first uploader keeps the row, its file and its name; the other organization gets a nameless copy.
    assert (acme_copy.pk, acme_copy.organization_id, acme_copy.filename) == (
        written["shared"],
        written["acme"],
        "acquisition-plan.pdf",
    )
    assert (helix_copy.organization_id, helix_copy.filename) == (written["helix"], "")
    assert (helix_copy.sha256, helix_copy.content_type, helix_copy.size, helix_copy.file.name) == (
        acme_copy.sha256,
        acme_copy.content_type,
        acme_copy.size,
        acme_copy.file.name,
    )
    assert records["acme-2"].attachment_id == acme_copy.pk and records["helix-2"].attachment_id == helix_copy.pk
    assert [r.attachment_name for r in records.values()] == ["acquisition-plan.pdf", "", "acquisition-plan.pdf", ""]
    assert not Attachment.objects.filter(sha256="b" * 64).exists()  # the orphan, which nothing could reach
    assert canonical_forms() == before  # what the log commits to is untouched


@pytest.mark.django_db(transaction=True)
def test_records_stay_append_only_after_the_migration(old_apps: Any) -> None:
    written = write_shared_attachment(old_apps)
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE evidence_evidencerecord SET metric = 'rewritten' WHERE id = %s", [written["records"]["acme-1"]]
        )


@pytest.mark.django_db(transaction=True)
def test_migrating_back_joins_the_copies_again(old_apps: Any) -> None:
    written = write_shared_attachment(old_apps)
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
    apps = migrate(BEFORE).loader.project_state(BEFORE).apps
    records = apps.get_model("evidence", "EvidenceRecord").objects.filter(pk__in=written["records"].values())
    assert set(records.values_list("attachment_id", flat=True)) == {written["shared"]}
    assert apps.get_model("evidence", "Attachment").objects.count() == 1
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE evidence_evidencerecord SET metric = 'rewritten'")
