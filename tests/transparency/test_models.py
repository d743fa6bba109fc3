"""The log's tables (transparency.models) are append-only: the database refuses updates of leaves, nodes and
checkpoints."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from evidence import services
from transparency import log as tlog

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE evidence_logleaf SET leaf_hash = leaf_hash",
        "UPDATE evidence_lognode SET hash = hash",
        "UPDATE evidence_logcheckpoint SET note = 'x'",
    ],
    ids=["leaf", "node", "checkpoint"],
)
def test_the_log_tables_refuse_updates(agent, vendor, wire, sql: str) -> None:
    services.evidence_submit(agent=agent, items=[wire()] * 20, user=vendor)  # 20 leaves: one stored node
    tlog.checkpoint_sign()
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
