"""The structural weaknesses every deployment starts with (staff add more in the admin)."""

from django.db import migrations

WEAKNESSES = [
    ("stale_evidence", "Stale evidence", "The evidence the decision rested on was older than the risk it measured."),
    ("weak_ownership", "Weak ownership", "Nobody owned the signal, the clause or the decision when it mattered."),
    (
        "hidden_rescue_work",
        "Hidden rescue work",
        "People quietly repaired the agent's failures, so the measured success was not the agent's.",
    ),
    (
        "unguarded_exception_path",
        "Unguarded exception path",
        "A case outside the measured path (an exception, a fallback, a manual override) had no guard.",
    ),
    ("threshold_too_loose", "Threshold too loose", "The clause's threshold allowed the failure it should have caught."),
    (
        "missing_downgrade_path",
        "Missing downgrade path",
        "The signal degraded but nothing downgraded the agent's tier or access.",
    ),
]


def seed(apps, schema_editor):
    StructuralWeakness = apps.get_model("incidents", "StructuralWeakness")
    for position, (slug, name, description) in enumerate(WEAKNESSES, start=1):
        StructuralWeakness.objects.update_or_create(
            slug=slug, defaults={"name": name, "description": description, "position": position * 10}
        )


def unseed(apps, schema_editor):
    apps.get_model("incidents", "StructuralWeakness").objects.filter(slug__in=[w[0] for w in WEAKNESSES]).delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
