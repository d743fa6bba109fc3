"""Accepted evidence is never edited or deleted: model, queryset and database all refuse."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction

from evidence import canonical, services
from evidence.models import EvidenceImmutable, EvidenceRecord
from trustcore.canonical import canonical_record, iso

pytestmark = pytest.mark.django_db


@pytest.fixture
def record(agent, vendor, wire) -> EvidenceRecord:
    stored = services.evidence_submit(agent=agent, items=[wire()], user=vendor, batch=False)[0]
    return EvidenceRecord.objects.get(pk=stored.id)


def test_model_save_refuses(record) -> None:
    record.successes = 1
    with pytest.raises(EvidenceImmutable):
        record.save()


def test_model_delete_refuses(record) -> None:
    with pytest.raises(EvidenceImmutable):
        record.delete()


def test_queryset_update_and_delete_refuse(record) -> None:
    with pytest.raises(EvidenceImmutable):
        EvidenceRecord.objects.filter(pk=record.pk).update(successes=1)
    with pytest.raises(EvidenceImmutable):
        EvidenceRecord.objects.filter(pk=record.pk).delete()


def test_database_refuses_raw_updates(record) -> None:
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE evidence_evidencerecord SET successes = 0 WHERE id = %s", [record.pk])
    assert EvidenceRecord.objects.get(pk=record.pk).successes == 57


def test_database_refuses_raw_deletes_on_postgres(postgres, record) -> None:
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM evidence_evidencerecord WHERE id = %s", [record.pk])
    assert EvidenceRecord.objects.filter(pk=record.pk).exists()


def test_canonical_hash_matches_the_canonical_record(record, agent) -> None:
    expected = canonical.record_hash(
        canonical_record(
            agent=agent.slug,
            vendor=agent.organization.slug,
            kind=record.kind,
            metric=record.metric,
            observed_from=record.observed_from,
            observed_to=record.observed_to,
            received_at=record.received_at,
            visibility=record.visibility,
            successes=record.successes,
            trials=record.trials,
            source={"tool": "prod-telemetry", "version": "1.4"},
        )
    )
    assert record.canonical_hash == expected


def test_iso_times_are_utc_with_z() -> None:
    assert iso(datetime(2026, 11, 20, tzinfo=UTC)) == "2026-11-20T00:00:00Z"
    assert iso(datetime(2026, 11, 20, 0, 0, 0, 500000, tzinfo=UTC)) == "2026-11-20T00:00:00.5Z"
