"""Migrating across the app split keeps every row: a database written by the code before the split (accounts
0002, pacts 0002, evidence 0005; no transparency or verdicts app yet) migrates to the latest schema with every
row intact and readable through today's models, and its transparency log still verifies.

The split only moved models between apps in Django's state (``SeparateDatabaseAndState``, tables kept), so
nothing may be copied, renamed or lost on the way. Rows are written through the historical models of the old
state, the way the old code wrote them. Runs on SQLite and PostgreSQL; the schema ends at the latest migration.
"""

from __future__ import annotations

import base64
import copy
import hashlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.apps import apps as current_apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from pacts.demo_documents import REFUNDS_V1
from pacts.documents import content_hash
from trustcore import merkle, notes
from trustcore.canonical import canonical_bytes, canonical_record

BEFORE_THE_SPLIT = [
    ("accounts", "0002_notification"),
    ("pacts", "0002_immutability_triggers"),
    ("evidence", "0005_log_append_only"),
]
NOT_YET_THERE = [("transparency", None), ("verdicts", None)]
OLD_APPS = ("accounts", "pacts", "evidence")
LEAVES = 16  # a full level-4 subtree, so the log has a stored node (LogNode) too
ORIGIN = "trust-portal.test/log"


def latest() -> list[tuple[str, str]]:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def migrate(targets: list[tuple[str, str | None]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()  # reload what is applied now
    return executor


@pytest.fixture
def old_state() -> Iterator[Any]:
    """The database at the state before the split (its historical models' registry); back to the latest after."""
    head = latest()
    try:
        executor = migrate(BEFORE_THE_SPLIT + NOT_YET_THERE)
        applied = {app for app, _ in executor.loader.applied_migrations}
        assert "transparency" not in applied and "verdicts" not in applied
        yield executor.loader.project_state(BEFORE_THE_SPLIT).apps
    finally:
        migrate(head)
        assert MigrationExecutor(connection).migration_plan(head) == [], "the schema is not back at the latest"


def write_the_old_world(apps: Any) -> dict[str, Any]:
    """One or more rows in every table of accounts, pacts and evidence, as the pre-split code wrote them."""
    model = apps.get_model
    now = timezone.now().replace(microsecond=0)
    ContentType, Permission, Group = (
        model("contenttypes", "ContentType"),
        model("auth", "Permission"),
        model("auth", "Group"),
    )
    content_type, _ = ContentType.objects.get_or_create(app_label="migration_probe", model="probe")
    permission = Permission.objects.create(codename="probe", name="Probe", content_type=content_type)
    group = Group.objects.create(name="auditors")

    Organization, User, Membership = (
        model("accounts", "Organization"),
        model("accounts", "User"),
        model("accounts", "Membership"),
    )
    acme = Organization.objects.create(name="Acme Agents", slug="acme-agents", kind="vendor", created_at=now)
    bank = Organization.objects.create(name="Northwind Bank", slug="northwind-bank", kind="buyer", created_at=now)
    vera = User.objects.create(username="vera", password="!", email="vera@example.com", date_joined=now)
    bea = User.objects.create(username="bea", password="!", email="bea@example.com", date_joined=now)
    vera.groups.add(group)
    vera.user_permissions.add(permission)
    Membership.objects.create(user=vera, organization=acme, role="owner", created_at=now)
    Membership.objects.create(user=bea, organization=bank, role="member", created_at=now)
    token = model("accounts", "ApiToken").objects.create(
        user=vera, name="ci", prefix="tp_abcd", digest="d" * 64, created_at=now
    )
    model("accounts", "Notification").objects.create(
        recipient=bea, kind="pact_published", title="Refunds v1", created_at=now
    )

    agent = model("pacts", "Agent").objects.create(
        organization=acme,
        name="Refund Bot",
        slug="refund-bot",
        consequence_level="high",
        created_at=now,
        updated_at=now,
    )
    model("pacts", "Follow").objects.create(agent=agent, user=bea, created_at=now)
    pact = model("pacts", "Pact").objects.create(agent=agent, title="Refunds", created_by=vera, created_at=now)
    PactVersion = model("pacts", "PactVersion")
    version = PactVersion.objects.create(
        pact=pact,
        number=1,
        status="draft",
        document=copy.deepcopy(REFUNDS_V1),
        content_hash=content_hash(REFUNDS_V1),
        created_by=vera,
        created_at=now,
        updated_at=now,
    )
    model("pacts", "PactClause").objects.create(
        version=version,
        clause_id="resolution-rate",
        position=0,
        title="Resolution rate",
        metric="task_success",
        metric_kind="binary",
        aggregation="rate",
        comparator=">=",
        threshold=0.92,
        window_days=30,
        min_samples=200,
        max_evidence_age_days=7,
        severity="major",
        evidence_kinds=["telemetry"],
    )
    # Published the way the old service did: clauses written while a draft, then one status update.
    PactVersion.objects.filter(pk=version.pk).update(
        status="published", published_at=now, effective_from=now, published_by=vera, review_by=now + timedelta(days=90)
    )
    model("pacts", "PactEvent").objects.create(
        pact=pact, version=version, action="published", from_status="draft", to_status="published", actor=vera, at=now
    )

    signing = Ed25519PrivateKey.generate()
    vendor_key = model("evidence", "VendorKey").objects.create(
        organization=acme,
        name="pipeline",
        key_id="0123456789abcdef",
        public_pem=notes.public_key_pem(signing.public_key()).decode(),
        created_at=now,
    )
    attachment = model("evidence", "Attachment").objects.create(
        sha256="a" * 64,
        content_type="image/png",
        size=12,
        filename="chart.png",
        file="evidence/aa/chart.png",
        created_at=now,
    )
    evidence_import = model("evidence", "EvidenceImport").objects.create(
        agent=agent,
        format="promptfoo",
        file_sha256="b" * 64,
        filename="results.json",
        tool="promptfoo",
        tool_version="0.121.20",
        run_id="eval-1",
        record_count=1,
        submitted_by=vera,
        created_at=now,
    )
    EvidenceRecord = model("evidence", "EvidenceRecord")
    records = []
    for position, extra in enumerate(
        [
            {"attachment": attachment, "submitted_token": token},
            {"evidence_import": evidence_import, "signed_by": vendor_key},
        ]
    ):
        canonical = canonical_bytes(
            canonical_record(
                agent="refund-bot",
                vendor="acme-agents",
                kind="telemetry",
                metric="task_success",
                observed_from=now - timedelta(days=1),
                observed_to=now,
                received_at=now,
                visibility="public",
                successes=57 - position,
                trials=60,
            )
        ).decode()
        records.append(
            EvidenceRecord.objects.create(
                agent=agent,
                kind="telemetry",
                metric="task_success",
                successes=57 - position,
                trials=60,
                sample_count=60,
                observed_from=now - timedelta(days=1),
                observed_to=now,
                received_at=now,
                visibility="public",
                canonical=canonical,
                canonical_hash=hashlib.sha256(canonical.encode()).hexdigest(),
                leaf_index=position,
                submitted_by=vera,
                **extra,
            )
        )
    model("evidence", "IdempotencyKey").objects.create(
        scope=f"org:{acme.pk}",
        key="batch-1",
        fingerprint="f" * 64,
        state="done",
        response_status=201,
        response_body={"count": 2},
        created_at=now,
    )
    model("evidence", "TokenAgentScope").objects.create(token=token, agent=agent)
    model("evidence", "AccessGrant").objects.create(agent=agent, organization=bank, granted_by=vera, created_at=now)
    model("evidence", "MetricBucket").objects.create(
        agent=agent,
        span="day",
        metric="task_success",
        start=now.replace(hour=0, minute=0, second=0),
        kind="telemetry",
        counts=True,
        records=2,
        newest=now,
        oldest=now,
        state={"successes": 113, "trials": 120},
    )
    model("evidence", "Verdict").objects.create(
        agent=agent,
        pact=pact,
        pact_version=version,
        clause_id="resolution-rate",
        status="met",
        measured=0.94,
        threshold=0.92,
        comparator=">=",
        samples=120,
        min_samples=200,
        window_start=now - timedelta(days=30),
        window_end=now,
        used_records=2,
        refusals=[["too old", 1]],
        computed_at=now,
    )

    # The log: the two records' leaves, then filler leaves up to one stored 16-leaf node, signed at size 16.
    leaf_hashes = [merkle.leaf_hash(r.canonical.encode()) for r in records]
    leaf_hashes += [merkle.leaf_hash(b"filler %d" % i) for i in range(len(records), LEAVES)]
    model("evidence", "LogLeaf").objects.bulk_create(
        [model("evidence", "LogLeaf")(index=i, leaf_hash=h) for i, h in enumerate(leaf_hashes)]
    )
    root = merkle.root_from_leaf_hashes(leaf_hashes)
    model("evidence", "LogNode").objects.create(level=4, index=0, hash=root)
    model("evidence", "LogState").objects.update_or_create(pk=1, defaults={"size": LEAVES})  # 0004 made the row
    log_signer = Ed25519PrivateKey.generate()
    log_key = model("evidence", "LogKey").objects.create(
        name=ORIGIN,
        key_id=notes.key_id(ORIGIN, log_signer.public_key()).hex(),
        public_pem=notes.public_key_pem(log_signer.public_key()).decode(),
        created_at=now,
    )
    note = notes.sign_checkpoint(notes.checkpoint_body(ORIGIN, LEAVES, root), ORIGIN, log_signer)
    model("evidence", "LogCheckpoint").objects.create(
        size=LEAVES, root_hash=root, note=note, key=log_key, signed_at=now
    )
    return {"root": root, "note": note, "records": [r.pk for r in records], "leaf_hashes": leaf_hashes}


def tables_of(apps: Any, app_labels: tuple[str, ...]) -> set[str]:
    return {
        m._meta.db_table
        for label in app_labels
        for m in apps.get_app_config(label).get_models(include_auto_created=True)
    }


def dump(tables: set[str]) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of these tables (bytes for binary columns), ordered, with their column names first."""
    quote = connection.ops.quote_name
    out: dict[str, list[tuple[Any, ...]]] = {}
    with connection.cursor() as cursor:
        for table in sorted(tables):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            cursor.execute(f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(table)} ORDER BY 1")
            rows = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in cursor.fetchall()]
            out[table] = [tuple(columns), *rows]
    return out


@pytest.mark.django_db(transaction=True)
def test_every_row_written_before_the_split_survives_the_migrations(old_state) -> None:
    written = write_the_old_world(old_state)
    old_tables = tables_of(old_state, OLD_APPS)
    before = dump(old_tables)
    empty = sorted(table for table, rows in before.items() if len(rows) < 2)
    assert not empty, f"the test writes no row into {empty}"  # it covers every table of the old state

    migrate(latest())

    after = dump(old_tables)
    for table, (columns, *rows) in before.items():
        now_columns, *now_rows = after[table]
        kept = [now_columns.index(c) for c in columns]  # columns added later are not compared
        assert [tuple(row[i] for i in kept) for row in now_rows] == rows, table

    # Readable through today's models, wherever they live now (transparency, verdicts, evidence, ...).
    for model in current_apps.get_models(include_auto_created=True):
        table = model._meta.db_table
        if table in before:
            assert model._default_manager.count() == len(before[table]) - 1, table
            assert len(list(model._default_manager.all())) == len(before[table]) - 1, table

    from evidence.models import EvidenceRecord
    from transparency import log as tlog
    from transparency.models import LogCheckpoint, LogLeaf, LogNode, LogState
    from verdicts.models import Verdict

    assert [bytes(h) for h in LogLeaf.objects.order_by("index").values_list("leaf_hash", flat=True)] == written[
        "leaf_hashes"
    ]
    assert bytes(LogNode.objects.get(level=4, index=0).hash) == written["root"]
    assert LogState.objects.get().size == LEAVES
    checkpoint = LogCheckpoint.objects.select_related("key").get()
    assert (checkpoint.note, checkpoint.key.name) == (written["note"], ORIGIN)
    verdict = Verdict.objects.select_related("pact_version", "agent").get()
    assert (verdict.status, verdict.pact_version.number, verdict.agent.slug) == ("met", 1, "refund-bot")
    record = EvidenceRecord.objects.select_related("signed_by", "evidence_import").get(pk=written["records"][1])
    assert (record.signed_by.name, record.evidence_import.tool, record.leaf_index) == ("pipeline", "promptfoo", 1)
    # Today's log code reads the migrated tables: the stored node, the proofs, the verifier of the whole log.
    assert merkle.tree_root(tlog.DbReader(LEAVES), LEAVES) == written["root"]
    proof = tlog.inclusion(index=1, checkpoint=checkpoint)
    assert merkle.verify_inclusion(
        merkle.leaf_hash(record.canonical.encode()),
        1,
        LEAVES,
        [base64.b64decode(p) for p in proof["proof"]],
        written["root"],
    )
    assert tlog.verify_stored_log() == []


@pytest.mark.django_db(transaction=True)
def test_the_way_forward_from_the_old_state_is_the_split(old_state) -> None:
    """What the migrations above replay: the two new apps' first migrations and evidence forgetting the models."""
    plan = {(m.app_label, m.name) for m, backwards in MigrationExecutor(connection).migration_plan(latest())}
    assert {
        ("transparency", "0001_initial"),
        ("verdicts", "0001_initial"),
        ("evidence", "0006_move_log_and_verdicts"),
    } <= plan
    assert "evidence_logleaf" in connection.introspection.table_names()  # the tables never left
