"""Chromium: a buyer filters and sorts the directory (the URL follows every change), ticks three agents and opens
their comparison (clauses aligned by metric, the chart drawn on one time axis)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from tests.browser.test_members_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path("/tmp/shots")


def test_a_buyer_filters_sorts_ticks_three_agents_and_compares_them(live_server, browser, screenshot) -> None:
    call_command("seed_demo", stdout=io.StringIO())
    SHOTS.mkdir(exist_ok=True)
    base = live_server.url
    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    sign_in(page, base, "buyer")

    page.goto(f"{base}/agents/")
    rows = page.get_by_test_id("directory-row")
    everyone = rows.count()
    assert everyone >= 4
    page.get_by_label("Clauses").select_option("any_breached")
    page.wait_for_url("**clauses=any_breached**")
    page.wait_for_function(f"() => document.querySelectorAll('[data-testid=directory-row]').length < {everyone}")
    assert all(int(n) > 0 for n in page.get_by_test_id("dir-breached").all_inner_texts())
    page.get_by_label("Clauses").select_option("")
    page.wait_for_url(lambda url: "clauses=" not in url)
    page.wait_for_function(f"() => document.querySelectorAll('[data-testid=directory-row]').length === {everyone}")

    page.get_by_test_id("sort-score").click()
    page.wait_for_url("**sort=-score**")
    page.wait_for_function("() => document.querySelector('th[aria-sort=descending] [data-testid=sort-score]')")
    scores = [float(s) for s in page.get_by_test_id("dir-score").all_inner_texts()]
    assert scores == sorted(scores, reverse=True)
    page.screenshot(path=str(SHOTS / "directory.png"), full_page=True)
    screenshot(page, "directory-by-score")

    page.reload()  # the pushed URL is the shareable one: it reloads to the same view
    assert [float(s) for s in page.get_by_test_id("dir-score").all_inner_texts()] == scores

    slugs = [rows.nth(i).get_attribute("data-agent") for i in range(3)]
    for slug in slugs:
        page.get_by_test_id(f"compare-{slug}").check()
    page.get_by_role("button", name="Compare selected").click()
    page.wait_for_url("**/compare/?agents=**")
    heads = page.get_by_test_id("compare-head")
    assert [heads.nth(i).get_attribute("data-agent") for i in range(heads.count())] == slugs
    assert page.get_by_test_id("compare-row").count() >= 1
    page.wait_for_function("() => document.querySelector('[data-testid=compare-chart] .main-svg')")
    page.screenshot(path=str(SHOTS / "compare.png"), full_page=True)
    screenshot(page, "compare")

    page.get_by_test_id("compare-remove").first.click()
    page.wait_for_url("**/compare/?agents=**")
    assert page.get_by_test_id("compare-head").count() == 2
