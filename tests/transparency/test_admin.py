"""The transparency log's admin: every table is shown and none can be changed from it."""

from __future__ import annotations

import base64

import pytest
from django.contrib import admin
from django.db import connection, transaction
from django.db.models import Model
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from tests.admin import columns, url
from transparency import log as tlog
from transparency.models import LogCheckpoint, LogKey, LogLeaf, LogNode, LogState

pytestmark = pytest.mark.django_db
LOG_MODELS = [LogState, LogLeaf, LogNode, LogKey, LogCheckpoint]


def append(count: int) -> None:
    with transaction.atomic():
        tlog.log_append([f"entry {n}".encode() for n in range(count)])


@pytest.fixture
def rows(db: None) -> dict[type[Model], Model]:
    """A log of 16 leaves (so one stored subtree) and a signed checkpoint."""
    append(16)
    checkpoint = tlog.checkpoint_sign()
    return {
        LogState: LogState.objects.get(),
        LogLeaf: LogLeaf.objects.get(index=3),
        LogNode: LogNode.objects.first(),
        LogKey: checkpoint.key,
        LogCheckpoint: checkpoint,
    }


TAMPERING = {
    LogState: {"size": "0"},
    LogLeaf: {"leaf_hash": "AAAA"},
    LogNode: {"level": "9", "index": "9"},
    LogKey: {"name": "rewritten", "public_pem": "rewritten"},
    LogCheckpoint: {"size": "1", "note": "rewritten"},
}


@pytest.mark.parametrize("model", LOG_MODELS, ids=[m.__name__ for m in LOG_MODELS])
def test_changelist_and_change_page_show_the_row_and_a_posted_change_is_refused(
    admin_client: Client, rows: dict[type[Model], Model], model: type[Model]
) -> None:
    obj = rows[model]
    assert obj is not None
    before = columns(obj)

    assert admin_client.get(url(obj, "changelist")).status_code == 200
    page = admin_client.get(url(obj, "change", obj.pk))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    response = admin_client.post(url(obj, "change", obj.pk), TAMPERING[model])

    assert response.status_code == 403
    assert columns(obj) == before


@pytest.mark.parametrize("model", LOG_MODELS, ids=[m.__name__ for m in LOG_MODELS])
def test_add_and_delete_are_refused(admin_client: Client, rows: dict[type[Model], Model], model: type[Model]) -> None:
    obj = rows[model]

    assert admin_client.get(url(obj, "add")).status_code == 403
    assert admin_client.post(url(obj, "delete", obj.pk), {"post": "yes"}).status_code == 403
    assert model.objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", LOG_MODELS, ids=[m.__name__ for m in LOG_MODELS])
def test_every_log_model_is_registered_read_only(root: User, model: type[Model]) -> None:
    request = RequestFactory().get("/admin/")
    request.user = root
    model_admin = admin.site._registry[model]
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)


def test_hashes_are_shown_in_base64(admin_client: Client, rows: dict[type[Model], Model]) -> None:
    leaf = rows[LogLeaf]
    checkpoint = rows[LogCheckpoint]
    leaf_b64 = base64.b64encode(bytes(leaf.leaf_hash)).decode()  # type: ignore[attr-defined]

    assert leaf_b64 in admin_client.get(url(leaf, "change", leaf.pk)).content.decode()
    assert leaf_b64 in admin_client.get(url(LogLeaf, "changelist")).content.decode()
    page = admin_client.get(url(checkpoint, "change", checkpoint.pk)).content.decode()
    assert checkpoint.root_hash_b64 in page  # type: ignore[attr-defined]


def test_checkpoint_changelist_queries_do_not_grow_with_rows(admin_client: Client) -> None:
    append(1)
    tlog.checkpoint_sign()
    with CaptureQueriesContext(connection) as one:
        admin_client.get(url(LogCheckpoint, "changelist"))
    for _ in range(3):
        append(1)
        tlog.checkpoint_sign()
    assert LogCheckpoint.objects.count() == 4
    with CaptureQueriesContext(connection) as four:
        admin_client.get(url(LogCheckpoint, "changelist"))
    assert len(four) == len(one)
