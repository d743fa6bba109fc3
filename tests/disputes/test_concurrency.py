"""Concurrent actions on one dispute, on PostgreSQL, from two processes: exactly one succeeds, the other is a 409.

Each process opens its own database connection, reads the dispute, waits at a barrier and acts; the conditional
UPDATE on the dispute's revision (disputes.workflow.move) lets exactly one through.
"""

from __future__ import annotations

import contextlib
import multiprocessing

import pytest
from django.db import connections

from disputes import workflow
from disputes.errors import TransitionRefused
from disputes.models import Dispute, DisputeEvent, Ruling, Status

RATIONALE = "Both submissions and the verdict's evidence were read; the telemetry missed the failed refunds. " * 2
CONTEXT = multiprocessing.get_context("fork")


def _race(jobs):  # type: ignore[no-untyped-def]
    """Run each ``job(barrier) -> str`` in its own process at once; returns their results."""
    connections.close_all()  # children must not share the parent's socket
    barrier = CONTEXT.Barrier(len(jobs))
    results = CONTEXT.Queue()

    def run(job) -> None:  # type: ignore[no-untyped-def]
        # the connection objects copied from the parent may hold its socket (an open one is not closed by close_all
        # inside an atomic block): forget them unclosed, so this process opens its own
        for alias in list(connections):
            with contextlib.suppress(AttributeError):  # never opened here
                del connections[alias]
        try:
            results.put(job(barrier))
        except Exception as error:  # reported to the parent, which fails the test with it
            results.put(f"error: {error!r}")
        finally:
            connections.close_all()

    processes = [CONTEXT.Process(target=run, args=(job,)) for job in jobs]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    return sorted(results.get(timeout=5) for _ in jobs)


def _claim_and_rule(dispute_id: int, user_id: int):  # type: ignore[no-untyped-def]
    from accounts.models import User
    from disputes.rulings import dispute_rule

    def job(barrier) -> str:  # type: ignore[no-untyped-def]
        user = User.objects.get(pk=user_id)
        dispute = Dispute.objects.get(pk=dispute_id)
        barrier.wait()
        try:
            dispute = workflow.dispute_assign(user=user, dispute=dispute)
            dispute_rule(user=user, dispute=dispute, outcome="upheld", rationale=RATIONALE)
        except TransitionRefused:
            return "409"
        return "ruled"

    return job


def _rule(dispute_id: int, user_id: int, outcome: str):  # type: ignore[no-untyped-def]
    from accounts.models import User
    from disputes.rulings import dispute_rule

    def job(barrier) -> str:  # type: ignore[no-untyped-def]
        user = User.objects.get(pk=user_id)
        dispute = Dispute.objects.get(pk=dispute_id)
        barrier.wait()
        try:
            dispute_rule(user=user, dispute=dispute, outcome=outcome, rationale=RATIONALE)
        except TransitionRefused:
            return "409"
        return "ruled"

    return job


@pytest.mark.django_db(transaction=True)
def test_two_arbiters_claiming_and_ruling_at_once_make_exactly_one_ruling(postgres, file, vendor, arbiter, arbiter_b):
    dispute = workflow.dispute_respond(user=vendor, dispute=file(), statement="The telemetry is complete.")
    results = _race([_claim_and_rule(dispute.pk, arbiter.pk), _claim_and_rule(dispute.pk, arbiter_b.pk)])
    assert results == ["409", "ruled"]
    assert Ruling.objects.filter(dispute=dispute).count() == 1
    dispute.refresh_from_db()
    assert dispute.status == Status.RULED
    assert DisputeEvent.objects.filter(dispute=dispute, action="assign").count() == 1


@pytest.mark.django_db(transaction=True)
def test_one_arbiter_ruling_twice_at_once_makes_one_ruling(postgres, file, vendor, arbiter):
    dispute = workflow.dispute_respond(user=vendor, dispute=file(), statement="The telemetry is complete.")
    dispute = workflow.dispute_assign(user=arbiter, dispute=dispute)
    results = _race([_rule(dispute.pk, arbiter.pk, "upheld"), _rule(dispute.pk, arbiter.pk, "rejected")])
    assert results == ["409", "ruled"]
    assert Ruling.objects.filter(dispute=dispute).count() == 1
    assert DisputeEvent.objects.filter(dispute=dispute, action="rule").count() == 1
