"""Admin for the transparency log: its tables are append-only (database triggers), so they are only shown."""

from __future__ import annotations

import base64
from typing import Any

from django.contrib import admin

from transparency.models import LogCheckpoint, LogKey, LogLeaf, LogNode, LogState
from trust_portal.admin import ReadOnlyAdmin


def _b64(value: Any) -> str:
    return base64.b64encode(bytes(value)).decode()


@admin.register(LogState)
class LogStateAdmin(ReadOnlyAdmin):
    list_display = ["id", "size"]


@admin.register(LogLeaf)
class LogLeafAdmin(ReadOnlyAdmin):
    list_display = ["index", "hash_b64"]
    fields = ("index", "hash_b64")
    readonly_fields = ("hash_b64",)
    search_fields = ["=index"]
    show_full_result_count = False  # one row per logged record: avoid a second COUNT(*)

    @admin.display(description="Leaf hash (base64)")
    def hash_b64(self, leaf: LogLeaf) -> str:
        return _b64(leaf.leaf_hash)


@admin.register(LogNode)
class LogNodeAdmin(ReadOnlyAdmin):
    list_display = ["level", "index", "hash_b64"]
    fields = ("level", "index", "hash_b64")
    readonly_fields = ("hash_b64",)
    list_filter = ["level"]
    show_full_result_count = False

    @admin.display(description="Hash (base64)")
    def hash_b64(self, node: LogNode) -> str:
        return _b64(node.hash)


@admin.register(LogKey)
class LogKeyAdmin(ReadOnlyAdmin):
    list_display = ["name", "key_id", "created_at"]
    search_fields = ["name", "key_id"]


@admin.register(LogCheckpoint)
class LogCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["size", "root_hash_b64", "key", "signed_at"]
    fields = ("size", "root_hash_b64", "note", "key", "signed_at")
    readonly_fields = ("root_hash_b64",)
    list_select_related = ["key"]
    search_fields = ["=size"]

    @admin.display(description="Root hash (base64)")
    def root_hash_b64(self, checkpoint: LogCheckpoint) -> str:
        return checkpoint.root_hash_b64
