"""The transparency log's tables are append-only too (leaves, nodes, checkpoints)."""

from django.db import migrations

TABLES = ["evidence_logleaf", "evidence_lognode", "evidence_logcheckpoint"]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            """
            CREATE OR REPLACE FUNCTION evidence_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'the transparency log is append-only (% on %)', TG_OP, TG_TABLE_NAME USING ERRCODE = '23514';
            END $$;
            """,
            params=None,
        )
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION evidence_log_append_only();",
                params=None,
            )
    elif vendor == "sqlite":
        for table in TABLES:
            schema_editor.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE ON {table} "
                "BEGIN SELECT RAISE(ABORT, 'the transparency log is append-only'); END;"
            )
        # SQLite rebuilds a table to add some columns (0004 added two to evidence records), dropping its
        # triggers: restore the evidence guard from 0002.
        schema_editor.execute(
            "CREATE TRIGGER IF NOT EXISTS evidence_record_append_only BEFORE UPDATE ON evidence_evidencerecord "
            "BEGIN SELECT RAISE(ABORT, 'evidence records are append-only'); END;"
        )


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};", params=None)
        elif vendor == "sqlite":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only;")
    if vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS evidence_log_append_only();", params=None)


def create_state(apps, schema_editor):
    apps.get_model("evidence", "LogState").objects.get_or_create(pk=1, defaults={"size": 0})


class Migration(migrations.Migration):
    dependencies = [("evidence", "0004_transparency_log")]
    operations = [migrations.RunPython(forward, backward), migrations.RunPython(create_state, migrations.RunPython.noop)]
