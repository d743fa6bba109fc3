"""Attachments belong to an organization, and the filename to the record (issue 10, finding 4).

Until now an attachment was one row per content hash for the whole platform, so a vendor sending the bytes of
another vendor's restricted attachment got the other vendor's row (and filename) back. Existing rows are split:

* each attachment goes to the organization of the earliest record that uses it, keeping its file and its
  (legacy) filename, which therefore stays with the organization that uploaded it;
* every other organization whose records use the same bytes gets a row of its own (same file, same type and
  size, no filename) and its records point at it.

Records are append-only (0002's trigger). Re-pointing a record at its organization's copy changes nothing that
the log commits to — the canonical record names the attachment by hash, type and size, which the copy shares —
so the trigger is lifted around that one UPDATE and put back. No record's ``canonical`` or ``canonical_hash``
changes, and old records keep an empty ``attachment_filename`` (they show the legacy name, see
``EvidenceRecord.attachment_name``). An attachment no record uses (none should exist: it is written in the
transaction of its record) is unreachable and is dropped.

On SQLite adding a column rebuilds the records table and drops its triggers: the guard is restored at the end
(as 0005 does), and again when migrating backwards.
"""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Min

SQLITE_GUARD = (
    "CREATE TRIGGER IF NOT EXISTS evidence_record_append_only BEFORE UPDATE ON evidence_evidencerecord "
    "BEGIN SELECT RAISE(ABORT, 'evidence records are append-only'); END;"
)
PG_GUARD = (
    "CREATE TRIGGER evidence_record_append_only BEFORE UPDATE OR DELETE ON evidence_evidencerecord "
    "FOR EACH ROW EXECUTE FUNCTION evidence_record_append_only();"
)


def _lift_guard(schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("DROP TRIGGER IF EXISTS evidence_record_append_only ON evidence_evidencerecord;")
    elif vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER IF EXISTS evidence_record_append_only;")


def _restore_guard(schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        # Fire the deferred foreign-key checks of the rows written here now: PostgreSQL refuses to alter a table
        # with pending trigger events, and the operations after this one alter evidence_attachment.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE;")
        schema_editor.execute("DROP TRIGGER IF EXISTS evidence_record_append_only ON evidence_evidencerecord;")
        schema_editor.execute(PG_GUARD)
        schema_editor.execute("SET CONSTRAINTS ALL DEFERRED;")
    elif vendor == "sqlite":
        schema_editor.execute(SQLITE_GUARD)


def split_by_organization(apps, schema_editor):
    Attachment = apps.get_model("evidence", "Attachment")
    EvidenceRecord = apps.get_model("evidence", "EvidenceRecord")
    _lift_guard(schema_editor)
    for attachment in Attachment.objects.filter(organization__isnull=True).order_by("pk"):
        users = list(
            EvidenceRecord.objects.filter(attachment_id=attachment.pk)
            .values("agent__organization_id")
            .annotate(first=Min("pk"))
            .order_by("first")
            .values_list("agent__organization_id", flat=True)
        )
        if not users:
            attachment.delete()
            continue
        owner, *others = users
        Attachment.objects.filter(pk=attachment.pk).update(organization_id=owner)
        for organization_id in others:
            copy = Attachment.objects.create(
                organization_id=organization_id,
                sha256=attachment.sha256,
                content_type=attachment.content_type,
                size=attachment.size,
                filename="",
                file=attachment.file.name,
                created_at=attachment.created_at,
            )
            record_ids = list(
                EvidenceRecord.objects.filter(
                    attachment_id=attachment.pk, agent__organization_id=organization_id
                ).values_list("pk", flat=True)
            )
            EvidenceRecord.objects.filter(pk__in=record_ids).update(attachment_id=copy.pk)
    _restore_guard(schema_editor)


def merge_by_hash(apps, schema_editor):
    """Backwards: one row per hash again (the earliest), every record pointing at it."""
    Attachment = apps.get_model("evidence", "Attachment")
    EvidenceRecord = apps.get_model("evidence", "EvidenceRecord")
    _lift_guard(schema_editor)
    kept: dict[str, int] = {}
    for attachment in Attachment.objects.order_by("pk"):
        if attachment.sha256 not in kept:
            kept[attachment.sha256] = attachment.pk
            continue
        EvidenceRecord.objects.filter(attachment_id=attachment.pk).update(attachment_id=kept[attachment.sha256])
        attachment.delete()
    _restore_guard(schema_editor)


def restore_guard(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_GUARD)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_invitation"),
        ("evidence", "0006_move_log_and_verdicts"),
    ]

    operations = [
        # Backwards this runs last, after removing the column has rebuilt the records table on SQLite.
        migrations.RunPython(migrations.RunPython.noop, restore_guard),
        migrations.AddField(
            model_name="evidencerecord",
            name="attachment_filename",
            field=models.CharField(
                blank=True,
                default="",
                help_text="The name the attachment was sent under with this record.",
                max_length=200,
            ),
        ),
        migrations.AlterField(
            model_name="attachment",
            name="sha256",
            field=models.CharField(max_length=64),
        ),
        migrations.AddField(
            model_name="attachment",
            name="organization",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.organization"
            ),
        ),
        migrations.RunPython(split_by_organization, merge_by_hash),
        migrations.AlterField(
            model_name="attachment",
            name="organization",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="accounts.organization"
            ),
        ),
        migrations.AlterField(
            model_name="attachment",
            name="filename",
            field=models.CharField(
                blank=True,
                help_text="Legacy: the name of the first upload, from before names moved to records (never written now).",
                max_length=200,
            ),
        ),
        migrations.AddConstraint(
            model_name="attachment",
            constraint=models.UniqueConstraint(
                fields=("organization", "sha256"), name="attachment_once_per_organization"
            ),
        ),
        migrations.RunPython(restore_guard, migrations.RunPython.noop),
    ]
