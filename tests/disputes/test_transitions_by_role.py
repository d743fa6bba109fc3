"""Every transition × every role, through the service functions: allowed, refused (403: may see, may not act), or
not found (404: may not even learn the dispute exists), as disputes.rules specifies."""

from __future__ import annotations

from typing import Any

import pytest

from disputes import workflow
from disputes.models import Status
from disputes.rulings import dispute_rule
from tests.factories import UserFactory, member
from trust_portal.errors import Forbidden, NotFound

RATIONALE = "Both submissions and the evidence the verdict used were read; the claim is decided on that record. " * 2
ROLES = ("buyer", "buyer_member", "vendor", "arbiter", "arbiter_b", "staff", "buyer_b", "vendor_b", "outsider")
OK, NO, HIDDEN = "ok", 403, 404
OUTSIDERS = {"buyer_b": HIDDEN, "vendor_b": HIDDEN, "outsider": HIDDEN}


def expect(**allowed: Any) -> dict[str, Any]:
    table = {role: NO for role in ROLES} | OUTSIDERS
    table.update(allowed)
    return table


EXPECTED: dict[str, dict[str, Any]] = {
    "respond": expect(vendor=OK),
    "assign": expect(arbiter=OK, arbiter_b=OK, staff=OK),
    "request_info": expect(arbiter=OK),
    "submit_info": expect(buyer=OK, buyer_member=OK),
    "rule": expect(arbiter=OK),
    "appeal": expect(buyer=OK, buyer_member=OK, vendor=OK),
    "withdraw": expect(buyer=OK, buyer_member=OK),
    "settle": expect(buyer=OK, buyer_member=OK, vendor=OK),
    "close": expect(arbiter=OK, staff=OK),
}
CALLS = {
    "respond": lambda u, d: workflow.dispute_respond(user=u, dispute=d, statement="Our answer."),
    "assign": lambda u, d: workflow.dispute_assign(user=u, dispute=d, arbiter="bo-arbiter" if u.is_staff else None),
    "request_info": lambda u, d: workflow.dispute_request_info(user=u, dispute=d, party="claimant", question="?"),
    "submit_info": lambda u, d: workflow.dispute_submit_info(user=u, dispute=d, statement="Here."),
    "rule": lambda u, d: dispute_rule(user=u, dispute=d, outcome="rejected", rationale=RATIONALE),
    "appeal": lambda u, d: workflow.dispute_appeal(
        user=u, dispute=d, statement="New: a log export that nobody had seen before."
    ),
    "withdraw": lambda u, d: workflow.dispute_withdraw(user=u, dispute=d),
    "settle": lambda u, d: workflow.dispute_settle(user=u, dispute=d, terms="A 5 % credit."),
    "close": lambda u, d: workflow.dispute_close(user=u, dispute=d),
}


@pytest.fixture
def people(buyer, vendor, arbiter, arbiter_b, staff, buyer_b, vendor_b, outsider) -> dict[str, Any]:
    return {
        "buyer": buyer,
        "buyer_member": member("bo-northwind", "Northwind Bank", "buyer", role="member"),
        "vendor": vendor,
        "arbiter": arbiter,
        "arbiter_b": arbiter_b,
        "staff": staff,
        "buyer_b": buyer_b,
        "vendor_b": vendor_b,
        "outsider": outsider,
    }


def bring_to(action: str, file, people) -> Any:  # type: ignore[no-untyped-def]
    """A dispute in the state where ``action`` can be taken (assigned to ``arbiter`` where one is needed)."""
    dispute = file()
    if action in ("respond", "withdraw", "settle"):
        return dispute
    dispute = workflow.dispute_respond(user=people["vendor"], dispute=dispute, statement="Our answer.")
    if action == "assign":
        return dispute
    dispute = workflow.dispute_assign(user=people["arbiter"], dispute=dispute)
    if action in ("request_info", "rule"):
        return dispute
    if action == "submit_info":
        return workflow.dispute_request_info(user=people["arbiter"], dispute=dispute, party="claimant", question="?")
    dispute_rule(user=people["arbiter"], dispute=dispute, outcome="rejected", rationale=RATIONALE)
    dispute.refresh_from_db()
    if action == "appeal":
        return dispute
    dispute = workflow.dispute_appeal(
        user=people["buyer"], dispute=dispute, statement="New: the request logs of the affected tenant."
    )
    staff = people["staff"]
    UserFactory(username="cy-arbiter", is_arbiter=True)
    dispute = workflow.dispute_assign(user=staff, dispute=dispute, arbiter="cy-arbiter")
    from accounts.models import User

    dispute_rule(user=User.objects.get(username="cy-arbiter"), dispute=dispute, outcome="upheld", rationale=RATIONALE)
    dispute.refresh_from_db()
    assert dispute.status == Status.RULED_ON_APPEAL
    return dispute


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(EXPECTED))
def test_each_transition_for_each_role(action: str, role: str, file, people) -> None:
    dispute = bring_to(action, file, people)
    if action == "close" and role == "arbiter":
        from accounts.models import User

        user = User.objects.get(username="cy-arbiter")  # the arbiter of the appeal closes it
    else:
        user = people[role]
    expected = EXPECTED[action][role]
    before = (dispute.status, dispute.revision)
    if expected == OK:
        CALLS[action](user, dispute)
        dispute.refresh_from_db()
        assert dispute.revision == before[1] + 1
        return
    with pytest.raises(Forbidden if expected == NO else NotFound):
        CALLS[action](user, dispute)
    dispute.refresh_from_db()
    assert (dispute.status, dispute.revision) == before
