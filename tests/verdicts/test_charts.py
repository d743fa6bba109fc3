"""Compliance charts (verdicts.charts): Plotly figures of a clause's verdict history."""

from __future__ import annotations

from django.utils import timezone

from verdicts.charts import compliance_figure, periods


def test_charts_handle_a_clause_with_no_verdicts_yet() -> None:
    assert periods([], timezone.now()) == []
    figure = compliance_figure(title="c", unit="", threshold=0.9, comparator=">=", verdicts=[], now=timezone.now())
    assert figure["data"][0]["x"] == []
