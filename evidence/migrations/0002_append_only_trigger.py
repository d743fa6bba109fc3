"""Database guard: accepted evidence records are append-only.

PostgreSQL refuses UPDATE and DELETE; SQLite refuses UPDATE (its test flush
deletes rows, so deletes are refused by the model and queryset there).
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION evidence_record_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'evidence record % is append-only (%)', OLD.id, TG_OP USING ERRCODE = '23514';
END $$;
CREATE TRIGGER evidence_record_append_only BEFORE UPDATE OR DELETE ON evidence_evidencerecord
  FOR EACH ROW EXECUTE FUNCTION evidence_record_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS evidence_record_append_only ON evidence_evidencerecord;
DROP FUNCTION IF EXISTS evidence_record_append_only();
"""
SQLITE_FORWARD = (
    "CREATE TRIGGER evidence_record_append_only BEFORE UPDATE ON evidence_evidencerecord "
    "BEGIN SELECT RAISE(ABORT, 'evidence records are append-only'); END;"
)
SQLITE_BACKWARD = "DROP TRIGGER IF EXISTS evidence_record_append_only;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
