"""The starting weakness taxonomy is data: a flush of the database (what transactional tests do) puts it back."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from incidents.models import StructuralWeakness


@pytest.mark.django_db(transaction=True)
def test_a_flush_leaves_the_six_starting_weaknesses() -> None:
    call_command("flush", interactive=False, verbosity=0)
    assert set(StructuralWeakness.objects.values_list("slug", flat=True)) >= {
        "stale_evidence",
        "weak_ownership",
        "hidden_rescue_work",
        "unguarded_exception_path",
        "threshold_too_loose",
        "missing_downgrade_path",
    }
