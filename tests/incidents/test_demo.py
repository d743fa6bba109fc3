"""The demo's incidents (incidents.demo, through seed_demo): every weakness, a repeat, a remediation linked to a
newer pact version, one that only changed the story; idempotent."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from incidents.models import Incident, Remediation, StructuralWeakness

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_the_incident_world_once() -> None:
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    assert "incidents: 8 incidents" in out.getvalue()
    count = Incident.objects.count()
    again = io.StringIO()
    call_command("seed_demo", stdout=again)
    assert "incidents: demo incidents already present" in again.getvalue()
    assert Incident.objects.count() == count

    used = set(Incident.objects.values_list("postmortem__structural_weakness__slug", flat=True)) - {None}
    assert used == set(StructuralWeakness.objects.values_list("slug", flat=True))
    linked = Remediation.objects.get(pact_version__isnull=False, pact_version__number=2)
    assert linked.pact_version.published_at > linked.postmortem.incident.visible_at
    story_only = Incident.objects.get(origin_type="ruling")
    assert story_only.status == "closed"
    assert not any(r.changed_operating_model for r in story_only.postmortem.remediations.all())
    assert {s for s in Incident.objects.values_list("status", flat=True)} == {"open", "analysing", "closed"}
