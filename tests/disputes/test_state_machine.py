"""A Hypothesis stateful test of the dispute workflow: any sequence of actions by any actor, with time passing.

Invariants after every step: the state is one of the machine's; a terminal state stays terminal; an action that
succeeds leaves exactly one event, whose (from, to) is an edge of the machine drawn in ``disputes.models``; an
action that is refused changes nothing (same state, same revision, no event).
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from disputes import workflow
from disputes.deadlines import escalate_overdue
from disputes.models import BEFORE_RULING, TERMINAL, Dispute, DisputeEvent, Status
from disputes.rulings import dispute_rule
from trust_portal.errors import DomainError

S = Status
EDGES: dict[str, set[tuple[str, str]]] = {
    "respond": {(S.AWAITING_RESPONSE, S.UNDER_REVIEW)},
    "default": {(S.AWAITING_RESPONSE, S.UNDER_REVIEW)},
    "assign": {(s, s) for s in (S.AWAITING_RESPONSE, S.UNDER_REVIEW, S.INFO_REQUESTED, S.APPEALED)},
    "request_info": {(S.UNDER_REVIEW, S.INFO_REQUESTED)},
    "submit_info": {(S.INFO_REQUESTED, S.UNDER_REVIEW)},
    "info_deadline": {(S.INFO_REQUESTED, S.UNDER_REVIEW)},
    "escalate": {(S.UNDER_REVIEW, S.UNDER_REVIEW), (S.APPEALED, S.APPEALED)},
    "rule": {(S.UNDER_REVIEW, S.RULED), (S.APPEALED, S.RULED_ON_APPEAL)},
    "appeal": {(S.RULED, S.APPEALED)},
    "withdraw": {(s, S.WITHDRAWN) for s in BEFORE_RULING},
    "settle": {(s, S.SETTLED) for s in BEFORE_RULING},
    "propose_settlement": {(s, s) for s in BEFORE_RULING},
    "close": {(S.RULED, S.CLOSED), (S.RULED_ON_APPEAL, S.CLOSED)},
}
RATIONALE = "Having read both submissions and the evidence the verdict used, the claim is decided as follows. " * 2
# "assigned" is whoever the dispute's arbiter is now (so that sequences reach rulings and appeals often enough).
ACTORS = ("buyer", "vendor", "arbiter", "arbiter_b", "staff", "buyer_b", "assigned", "assigned")


def test_no_sequence_of_actions_reaches_an_illegal_state(file, buyer, vendor, arbiter, arbiter_b, staff, buyer_b):
    reached: set[str] = set()
    people = {
        "buyer": buyer,
        "vendor": vendor,
        "arbiter": arbiter,
        "arbiter_b": arbiter_b,
        "staff": staff,
        "buyer_b": buyer_b,
    }

    class Workflow(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.atomic = transaction.atomic()
            self.atomic.__enter__()
            self.dispute = file()
            self.seen_terminal: str | None = None
            self.offset = timedelta(0)

        def teardown(self) -> None:
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)

        def who(self, name: str):  # type: ignore[no-untyped-def]
            if name == "assigned":
                current = Dispute.objects.get(pk=self.dispute.pk)
                return current.arbiter or arbiter_b
            return people[name]

        def act(self, call) -> None:  # type: ignore[no-untyped-def]
            before = Dispute.objects.get(pk=self.dispute.pk)
            status, revision = before.status, before.revision  # the services refresh the object they are given
            events = DisputeEvent.objects.filter(dispute=before).count()
            try:
                with transaction.atomic():
                    call(before)
            except DomainError:
                after = Dispute.objects.get(pk=before.pk)
                assert (after.status, after.revision) == (status, revision)
                assert DisputeEvent.objects.filter(dispute=before).count() == events
                return
            after = Dispute.objects.get(pk=before.pk)
            new = list(DisputeEvent.objects.filter(dispute=before).order_by("id")[events:])
            assert len(new) == 1, [e.action for e in new]
            event = new[0]
            assert (event.from_status, event.to_status) in EDGES[event.action], (event.action, event.from_status)
            assert event.from_status == status and event.to_status == after.status
            assert after.revision == revision + 1

        @rule(who=st.sampled_from(ACTORS))
        def respond(self, who: str) -> None:
            self.act(lambda d: workflow.dispute_respond(user=self.who(who), dispute=d, statement="Our answer."))

        @rule(who=st.sampled_from(ACTORS))
        def assign(self, who: str) -> None:
            self.act(lambda d: workflow.dispute_assign(user=self.who(who), dispute=d))

        @rule(who=st.sampled_from(ACTORS), party=st.sampled_from(["claimant", "respondent"]))
        def request_info(self, who: str, party: str) -> None:
            self.act(lambda d: workflow.dispute_request_info(user=self.who(who), dispute=d, party=party, question="?"))

        @rule(who=st.sampled_from(ACTORS))
        def submit_info(self, who: str) -> None:
            self.act(lambda d: workflow.dispute_submit_info(user=self.who(who), dispute=d, statement="Answer."))

        @rule(who=st.sampled_from(ACTORS), outcome=st.sampled_from(["upheld", "partially_upheld", "rejected"]))
        def rule_on_it(self, who: str, outcome: str) -> None:
            self.act(lambda d: dispute_rule(user=self.who(who), dispute=d, outcome=outcome, rationale=RATIONALE))

        @rule(who=st.sampled_from(ACTORS))
        def appeal(self, who: str) -> None:
            self.act(lambda d: workflow.dispute_appeal(user=self.who(who), dispute=d, statement="New: " + "x" * 40))

        @rule(who=st.sampled_from(ACTORS))
        def withdraw(self, who: str) -> None:
            self.act(lambda d: workflow.dispute_withdraw(user=self.who(who), dispute=d))

        @rule(who=st.sampled_from(ACTORS), terms=st.sampled_from(["", "10 % credit", "5 % credit"]))
        def settle(self, who: str, terms: str) -> None:
            self.act(lambda d: workflow.dispute_settle(user=self.who(who), dispute=d, terms=terms))

        @rule(who=st.sampled_from(ACTORS))
        def close(self, who: str) -> None:
            self.act(lambda d: workflow.dispute_close(user=self.who(who), dispute=d))

        @rule(first=st.sampled_from(["buyer", "vendor"]))
        def both_agree(self, first: str) -> None:
            other = "vendor" if first == "buyer" else "buyer"
            self.act(lambda d: workflow.dispute_settle(user=people[first], dispute=d, terms="A 5 % credit."))
            self.act(lambda d: workflow.dispute_settle(user=people[other], dispute=d, terms=""))

        @rule()
        def advance(self) -> None:
            """The expected next step by the right person (so sequences get deep, not only wide)."""
            current = Dispute.objects.get(pk=self.dispute.pk)
            if current.status == Status.AWAITING_RESPONSE:
                self.act(lambda d: workflow.dispute_respond(user=vendor, dispute=d, statement="Our answer."))
            elif current.status in (Status.UNDER_REVIEW, Status.APPEALED) and current.arbiter is None:
                chosen = arbiter_b if current.status == Status.APPEALED else arbiter
                self.act(lambda d: workflow.dispute_assign(user=chosen, dispute=d))
            elif current.status in (Status.UNDER_REVIEW, Status.APPEALED):
                self.act(lambda d: dispute_rule(user=current.arbiter, dispute=d, outcome="upheld", rationale=RATIONALE))
            elif current.status == Status.INFO_REQUESTED:
                asked = buyer if current.info_party == "claimant" else vendor
                self.act(lambda d: workflow.dispute_submit_info(user=asked, dispute=d, statement="Answer."))
            elif current.status == Status.RULED:
                self.act(lambda d: workflow.dispute_appeal(user=vendor, dispute=d, statement="New: " + "y" * 40))

        @rule(days=st.integers(min_value=1, max_value=20))
        def time_passes(self, days: int) -> None:
            before = Dispute.objects.get(pk=self.dispute.pk)
            events = DisputeEvent.objects.filter(dispute=before).count()
            self.offset += timedelta(days=days)
            moved = sum(escalate_overdue(now=timezone.now() + self.offset).values())
            after = Dispute.objects.get(pk=before.pk)
            assert DisputeEvent.objects.filter(dispute=before).count() == events + moved
            assert moved <= 1
            if moved:
                event = DisputeEvent.objects.filter(dispute=before).latest("id")
                assert (event.from_status, event.to_status) in EDGES[event.action]
                assert event.actor is None
            else:
                assert after.status == before.status

        @invariant()
        def legal_and_terminal_stays_terminal(self) -> None:
            status = Dispute.objects.get(pk=self.dispute.pk).status
            reached.add(status)
            assert status in Status.values and status != Status.FILED
            if self.seen_terminal is not None:
                assert status == self.seen_terminal
            elif status in TERMINAL:
                self.seen_terminal = status

    run_state_machine_as_test(
        Workflow,
        settings=settings(
            max_examples=100,
            stateful_step_count=50,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )
    # The run explored the machine (not only refusals): every state was reached by some sequence.
    assert reached >= set(Status.values) - {Status.FILED}, sorted(set(Status.values) - reached)
