"""Verdicts record whether restricted evidence lay in their window (issue 10, finding 2).

Existing verdicts are marked from the evidence as it stands: a restricted record of the clause's metric
observed inside the verdict's window and received before it was computed (evidence is append-only, so
that is what the evaluation saw).
"""

from django.db import migrations, models
from django.db.models import Exists, OuterRef


def mark_existing(apps, schema_editor):
    Verdict = apps.get_model("verdicts", "Verdict")
    PactClause = apps.get_model("pacts", "PactClause")
    EvidenceRecord = apps.get_model("evidence", "EvidenceRecord")
    metrics = dict(
        ((version_id, clause_id), metric)
        for version_id, clause_id, metric in PactClause.objects.values_list("version_id", "clause_id", "metric")
    )
    for (version_id, clause_id), metric in metrics.items():
        restricted = EvidenceRecord.objects.filter(
            agent_id=OuterRef("agent_id"),
            metric=metric,
            visibility="restricted",
            observed_to__gte=OuterRef("window_start"),
            received_at__lte=OuterRef("computed_at"),
        )
        Verdict.objects.filter(pact_version_id=version_id, clause_id=clause_id).filter(Exists(restricted)).update(
            rests_on_restricted=True
        )


class Migration(migrations.Migration):
    dependencies = [
        ("verdicts", "0001_initial"),
        ("pacts", "0002_immutability_triggers"),
        ("evidence", "0006_move_log_and_verdicts"),
    ]

    operations = [
        migrations.AddField(
            model_name="verdict", name="rests_on_restricted", field=models.BooleanField(default=False)
        ),
        migrations.RunPython(mark_existing, migrations.RunPython.noop),
    ]
