"""Evidence records (evidence.models): accepted evidence is never edited or deleted; the model, the queryset
and the database all refuse."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from evidence.models import EvidenceImmutable, EvidenceRecord

pytestmark = pytest.mark.django_db


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
