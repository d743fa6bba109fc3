"""Who may see and manage webhooks (a section of ``reputation.rules``, which imports it).

An endpoint belongs to a buyer organization: its owners register, rotate, enable, disable, delete and resend;
its members read the endpoints and their delivery logs; nobody else learns one exists (404), staff included (the
URL and the log are the buyer's business; the admin is the operator's tool). Vendors register none: DESIGN.md has
buyers subscribe to what happens to the agents they rely on.
"""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Q

from accounts.permissions import NOTHING, permission, view_permission
from accounts.rules import is_buyer, is_member_of_owner, is_owner_of_owner, organization_id_of
from reputation.models import WebhookDelivery, WebhookEndpoint


@rules.predicate
def is_member_of_endpoint_owner(user: Any, delivery: Any) -> bool:
    org_id = organization_id_of(user)
    return delivery is not None and org_id is not None and org_id == delivery.endpoint.organization_id


def _own_endpoints(user: Any) -> Q:
    org_id = organization_id_of(user)
    return Q(organization_id=org_id) if org_id is not None else NOTHING


def _own_deliveries(user: Any) -> Q:
    org_id = organization_id_of(user)
    return Q(endpoint__organization_id=org_id) if org_id is not None else NOTHING


view_permission(WebhookEndpoint, "reputation.view_webhook", is_member_of_owner, _own_endpoints)
view_permission(WebhookDelivery, "reputation.view_webhook_delivery", is_member_of_endpoint_owner, _own_deliveries)
permission(
    "reputation.manage_webhooks",
    is_buyer & is_owner_of_owner,
    "Only an owner of a buyer organization may manage its webhooks (members see them and their deliveries).",
)
