"""Pact versions (pacts.models): a published version cannot change, not through the API, the services, the
admin, the model or raw SQL."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from pacts.models import PactClause, PactVersion, PactVersionImmutable

pytestmark = pytest.mark.django_db


def test_model_save_refuses_a_content_change(published_pact) -> None:
    version = PactVersion.objects.get(pact=published_pact)
    version.document = {**version.document, "title": "Changed"}
    with pytest.raises(PactVersionImmutable):
        version.save()
    assert PactVersion.objects.get(pk=version.pk).document["title"] != "Changed"


def test_model_save_refuses_going_back_to_draft(published_pact) -> None:
    version = PactVersion.objects.get(pact=published_pact)
    version.status = "draft"
    with pytest.raises(PactVersionImmutable):
        version.save()


def test_queryset_update_refuses(published_pact) -> None:
    with pytest.raises(PactVersionImmutable):
        PactVersion.objects.filter(pact=published_pact).update(content_hash="0" * 64)


def test_delete_refuses(published_pact) -> None:
    version = PactVersion.objects.get(pact=published_pact)
    with pytest.raises(PactVersionImmutable):
        version.delete()
    with pytest.raises(PactVersionImmutable):
        PactVersion.objects.filter(pk=version.pk).delete()


def test_database_trigger_refuses_raw_sql(published_pact) -> None:
    version = PactVersion.objects.get(pact=published_pact)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE pacts_pactversion SET content_hash = %s WHERE id = %s", ["f" * 64, version.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE pacts_pactversion SET status = 'draft' WHERE id = %s", [version.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE pacts_pactclause SET threshold = 0 WHERE version_id = %s", [version.pk])
    assert PactVersion.objects.get(pk=version.pk).content_hash == version.content_hash


def test_database_allows_lifecycle_moves(published_pact) -> None:
    version = PactVersion.objects.get(pact=published_pact)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE pacts_pactversion SET status = 'retired' WHERE id = %s", [version.pk])
    assert PactVersion.objects.get(pk=version.pk).status == "retired"


def test_clause_rows_of_published_version_are_frozen(published_pact) -> None:
    clause = PactClause.objects.filter(version__pact=published_pact).first()
    clause.threshold = 0.0
    with pytest.raises(IntegrityError), transaction.atomic():
        clause.save()


def test_draft_stays_editable_at_every_layer(draft_pact) -> None:
    version = PactVersion.objects.get(pact=draft_pact)
    version.changelog = "editing is fine"
    version.save()
    PactVersion.objects.filter(pk=version.pk).update(changelog="still fine")
    assert PactVersion.objects.get(pk=version.pk).changelog == "still fine"


def test_admin_cannot_change_a_published_version(client, published_pact, staff) -> None:
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    version = PactVersion.objects.get(pact=published_pact)
    url = f"/admin/pacts/pactversion/{version.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="document"' not in page.content  # rendered read-only
    client.post(url, {"document": '{"schema": "pact/v1"}', "status": "draft", "changelog": "hacked"})
    version.refresh_from_db()
    assert version.status == "published"
    assert version.changelog != "hacked"
    assert client.post(f"/admin/pacts/pactversion/{version.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PactVersion.objects.filter(pk=version.pk).exists()
