"""Database guards: a published pact version (and its clauses) cannot be rewritten.

The model and queryset refuse too; this is the last line, for raw SQL and
anything else that goes around the ORM. Lifecycle moves (published ->
superseded / retired) stay allowed; moving back to draft does not.
On SQLite row deletes are left to the model guard, because Django's test
flush deletes rows there (PostgreSQL flushes with TRUNCATE, which fires no
row triggers).
"""

from django.db import migrations

FROZEN = ["pact_id", "number", "document", "content_hash", "changelog", "created_by_id",
          "published_at", "published_by_id", "effective_from", "review_by"]

PG_FORWARD = """
CREATE OR REPLACE FUNCTION pacts_pactversion_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD.status <> 'draft' THEN
      RAISE EXCEPTION 'pact version % is % and cannot be deleted', OLD.id, OLD.status USING ERRCODE = '23514';
    END IF;
    RETURN OLD;
  END IF;
  IF OLD.status <> 'draft' AND (NEW.status = 'draft' OR %(changed)s) THEN
    RAISE EXCEPTION 'pact version % is % and immutable', OLD.id, OLD.status USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER pacts_pactversion_guard BEFORE UPDATE OR DELETE ON pacts_pactversion
  FOR EACH ROW EXECUTE FUNCTION pacts_pactversion_guard();

CREATE OR REPLACE FUNCTION pacts_pactclause_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE version_status text;
BEGIN
  SELECT status INTO version_status FROM pacts_pactversion
   WHERE id = CASE WHEN TG_OP = 'INSERT' THEN NEW.version_id ELSE OLD.version_id END;
  IF version_status IS NOT NULL AND version_status <> 'draft' THEN
    RAISE EXCEPTION 'clauses of a % pact version are immutable', version_status USING ERRCODE = '23514';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER pacts_pactclause_guard BEFORE INSERT OR UPDATE OR DELETE ON pacts_pactclause
  FOR EACH ROW EXECUTE FUNCTION pacts_pactclause_guard();
""".replace("%(changed)s", " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in FROZEN))

PG_BACKWARD = """
DROP TRIGGER IF EXISTS pacts_pactclause_guard ON pacts_pactclause;
DROP FUNCTION IF EXISTS pacts_pactclause_guard();
DROP TRIGGER IF EXISTS pacts_pactversion_guard ON pacts_pactversion;
DROP FUNCTION IF EXISTS pacts_pactversion_guard();
"""

SQLITE_FORWARD = [
    "CREATE TRIGGER pacts_pactversion_guard BEFORE UPDATE ON pacts_pactversion "
    "WHEN OLD.status <> 'draft' AND (NEW.status = 'draft' OR "
    + " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in FROZEN)
    + ") BEGIN SELECT RAISE(ABORT, 'pact version is published and immutable'); END;",
    "CREATE TRIGGER pacts_pactclause_guard_update BEFORE UPDATE ON pacts_pactclause "
    "WHEN (SELECT status FROM pacts_pactversion WHERE id = OLD.version_id) <> 'draft' "
    "BEGIN SELECT RAISE(ABORT, 'clauses of a published pact version are immutable'); END;",
    "CREATE TRIGGER pacts_pactclause_guard_insert BEFORE INSERT ON pacts_pactclause "
    "WHEN (SELECT status FROM pacts_pactversion WHERE id = NEW.version_id) <> 'draft' "
    "BEGIN SELECT RAISE(ABORT, 'clauses of a published pact version are immutable'); END;",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS pacts_pactversion_guard;",
    "DROP TRIGGER IF EXISTS pacts_pactclause_guard_update;",
    "DROP TRIGGER IF EXISTS pacts_pactclause_guard_insert;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("pacts", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
