"""Webhooks: Standard Webhooks signatures (checked with the package's own verifier), rotation, delivery to a real
local HTTP receiver on a shortened schedule, 410 and five failing days disable, Retry-After, the SSRF guard, and
who sees which endpoints."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from accounts.models import Notification
from reputation import events, webhooks
from reputation.models import WebhookDelivery, WebhookEndpoint
from reputation.webhook_http import TargetRefused, check_target, parse_retry_after, refused_address
from tests.factories import member
from trust_portal.errors import Conflict, Forbidden, NotFound

pytestmark = pytest.mark.django_db


# --- a real receiver --------------------------------------------------------------------------------------------


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 answering each POST with the next scripted (status, headers)."""

    script: list[tuple[int, dict[str, str]]]
    requests: list[dict[str, Any]] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks?team=risk"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(script=[])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.requests.append(
                {"at": time.monotonic(), "path": self.path, "headers": dict(self.headers), "body": body.decode()}
            )
            status, headers = state.script.pop(0) if state.script else (200, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    state.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=state.server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.server.shutdown()
    state.server.server_close()


@pytest.fixture
def fast(settings: Any) -> Any:
    """Private targets allowed (the receiver is on 127.0.0.1) and a schedule of fractions of a second."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 0.3, 0.6]
    settings.WEBHOOK_RETRY_JITTER = 0
    settings.WEBHOOK_TIMEOUT_SECONDS = 5
    return settings


def register(user: Any, url: str, events_: list[str] | None = None) -> webhooks.IssuedSecret:
    return webhooks.webhook_endpoint_create(user=user, url=url, events=events_ or ["tier.changed", "verdict.breached"])


def publish(agent: Any, organization_id: int, event_type: str = "tier.changed") -> list[WebhookDelivery]:
    events.publish(
        event_type,
        agent=agent,
        title=f"{agent.name}: standard → probation",
        data={"old": "standard", "new": "probation"},
        organizations=[organization_id],
    )
    return list(WebhookDelivery.objects.filter(event_type=event_type).order_by("pk"))


def send_until_settled(delivery: WebhookDelivery, timeout: float = 10.0) -> WebhookDelivery:
    """Run the beat's task until the delivery succeeds or fails (the shortened schedule decides when)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        webhooks.webhooks_send_due()
        delivery.refresh_from_db()
        if delivery.status in (WebhookDelivery.Status.SUCCEEDED, WebhookDelivery.Status.FAILED):
            return delivery
        time.sleep(0.02)
    raise AssertionError(f"delivery still {delivery.status} after {timeout} s")


# --- signatures ---------------------------------------------------------------------------------------------


def test_the_signature_verifies_with_standardwebhooks_own_verifier(fast, buyer, agent, receiver) -> None:
    issued = register(buyer, receiver.url)
    assert issued.secret.startswith("whsec_")
    [delivery] = publish(agent, buyer.organization.pk)
    send_until_settled(delivery)

    [request] = receiver.requests
    payload = Webhook(issued.secret).verify(request["body"], request["headers"])
    assert payload["type"] == "tier.changed" and payload["agent"] == agent.slug
    assert payload["data"] == {"old": "standard", "new": "probation"} and payload["timestamp"]
    assert request["headers"]["webhook-id"] == delivery.msg_id
    assert request["headers"]["webhook-signature"].startswith("v1,")
    assert request["path"] == "/hooks?team=risk"
    with pytest.raises(WebhookVerificationError):
        Webhook(webhooks.new_secret()).verify(request["body"], request["headers"])
    with pytest.raises(WebhookVerificationError):
        Webhook(issued.secret).verify(request["body"].replace("probation", "trusted"), request["headers"])


def test_after_a_rotation_both_secrets_verify_until_the_overlap_ends(fast, buyer, agent) -> None:
    old = register(buyer, "http://127.0.0.1:9/hooks")
    new = webhooks.webhook_endpoint_rotate_secret(user=buyer, endpoint=old.endpoint)
    assert new.secret != old.secret
    [delivery] = publish(agent, buyer.organization.pk)
    endpoint = WebhookEndpoint.objects.get(pk=old.endpoint.pk)
    body = webhooks.message_body(delivery)

    now = timezone.now()
    headers = webhooks.message_headers(endpoint, delivery, body, now)
    assert len(headers["webhook-signature"].split(" ")) == 2
    for secret in (old.secret, new.secret):
        assert Webhook(secret).verify(body, headers)["type"] == "tier.changed"

    later = now + timedelta(hours=fast.WEBHOOK_SECRET_OVERLAP_HOURS, seconds=1)
    after = webhooks.message_headers(endpoint, delivery, body, later)
    assert after["webhook-signature"] == Webhook(new.secret).sign(delivery.msg_id, later, body)  # the old one is gone


# --- delivery and retries -----------------------------------------------------------------------------------------


def test_a_receiver_failing_twice_gets_three_attempts_on_the_schedule_and_the_log_says_so(
    fast, buyer, agent, receiver, bearer
) -> None:
    receiver.script = [(500, {}), (503, {}), (204, {})]
    issued = register(buyer, receiver.url)
    [delivery] = publish(agent, buyer.organization.pk)

    delivery = send_until_settled(delivery)

    assert delivery.status == "succeeded" and delivery.attempts == 3 and delivery.delivered_at
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [delivery.msg_id] * 3
    first, second, third = (r["at"] for r in receiver.requests)
    assert second - first >= 0.3 * 0.95 and third - second >= 0.6 * 0.95  # the schedule's delays, no sooner
    for request in receiver.requests:
        Webhook(issued.secret).verify(request["body"], request["headers"])
    assert [a.status_code for a in delivery.attempt_log.all()] == [500, 503, 204]
    assert WebhookEndpoint.objects.get(pk=issued.endpoint.pk).failing_since is None  # a success clears it

    log = bearer(buyer).get(f"/api/v1/webhooks/{issued.endpoint.pk}/deliveries/").json()["results"]
    assert log[0]["status"] == "succeeded" and log[0]["attempts"] == 3
    assert [a["status_code"] for a in log[0]["attempt_log"]] == [500, 503, 204]
    assert log[0]["attempt_log"][0]["error"] == "HTTP 500 Internal Server Error"


def test_after_the_last_attempt_the_delivery_is_failed(fast, buyer, agent, receiver) -> None:
    receiver.script = [(500, {})] * 3
    register(buyer, receiver.url)
    [delivery] = publish(agent, buyer.organization.pk)
    delivery = send_until_settled(delivery)
    assert delivery.status == "failed" and delivery.attempts == 3 and delivery.next_attempt_at is None
    assert len(receiver.requests) == 3


def test_410_gone_disables_the_endpoint_and_tells_the_owners(fast, buyer, agent, receiver) -> None:
    colleague = member("ben-buyer", "Northwind Bank", "buyer", role="member")
    receiver.script = [(410, {})]
    issued = register(buyer, receiver.url)
    [delivery] = publish(agent, buyer.organization.pk)
    delivery = send_until_settled(delivery)

    endpoint = WebhookEndpoint.objects.get(pk=issued.endpoint.pk)
    assert delivery.status == "failed" and delivery.attempts == 1
    assert not endpoint.enabled and "410" in endpoint.disabled_reason
    notice = Notification.objects.get(kind="webhook.disabled")
    assert notice.recipient == buyer and notice.url == reverse("reputation:webhook", args=[endpoint.pk])
    assert not Notification.objects.filter(kind="webhook.disabled", recipient=colleague).exists()
    assert publish(agent, buyer.organization.pk, "verdict.breached") == []  # nothing more is sent to it

    webhooks.webhook_endpoint_enable(user=buyer, endpoint=endpoint)
    endpoint.refresh_from_db()
    assert endpoint.enabled and endpoint.disabled_reason == ""


def test_retry_after_is_honoured_when_longer_than_the_schedule(fast, buyer, agent, receiver) -> None:
    receiver.script = [(429, {"Retry-After": "120"})]
    register(buyer, receiver.url)
    [delivery] = publish(agent, buyer.organization.pk)
    before = timezone.now()
    webhooks.webhooks_send_due()
    delivery.refresh_from_db()
    assert delivery.status == "retrying"
    assert timedelta(seconds=119) <= delivery.next_attempt_at - before <= timedelta(seconds=125)


def test_the_schedule_wins_over_a_shorter_retry_after_and_carries_jitter(settings) -> None:
    settings.WEBHOOK_RETRY_SCHEDULE = [0, 100, 200]
    settings.WEBHOOK_RETRY_JITTER = 0.1
    delays = {webhooks.next_delay(attempts=1, retry_after=5) for _ in range(50)}
    assert all(90 <= d <= 110 for d in delays if d is not None) and len(delays) > 1
    assert webhooks.next_delay(attempts=1, retry_after=500) == 500
    assert webhooks.next_delay(attempts=3, retry_after=None) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0 and parse_retry_after("soon") is None


def test_the_spec_schedule_is_the_default(settings) -> None:
    from trust_portal import settings as project

    assert project.WEBHOOK_RETRY_SCHEDULE == [0, 5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400]
    assert project.WEBHOOK_TIMEOUT_SECONDS == 15


def test_an_endpoint_failing_for_five_days_is_disabled_with_a_notice(fast, buyer, agent, receiver) -> None:
    receiver.script = [(500, {})]
    issued = register(buyer, receiver.url)
    WebhookEndpoint.objects.filter(pk=issued.endpoint.pk).update(failing_since=timezone.now() - timedelta(days=5))
    [delivery] = publish(agent, buyer.organization.pk)
    webhooks.webhooks_send_due()

    endpoint = WebhookEndpoint.objects.get(pk=issued.endpoint.pk)
    assert not endpoint.enabled and "5 days" in endpoint.disabled_reason
    assert Notification.objects.filter(kind="webhook.disabled", recipient=buyer).count() == 1
    time.sleep(0.35)
    webhooks.webhooks_send_due()  # the retry falls due: the endpoint is disabled, so the delivery gives up
    delivery.refresh_from_db()
    assert delivery.status == "failed" and len(receiver.requests) == 1


def test_a_failure_starts_the_failing_clock_and_a_day_later_it_still_runs(fast, buyer, agent, receiver) -> None:
    receiver.script = [(500, {})]
    issued = register(buyer, receiver.url)
    publish(agent, buyer.organization.pk)
    webhooks.webhooks_send_due()
    endpoint = WebhookEndpoint.objects.get(pk=issued.endpoint.pk)
    assert endpoint.enabled and endpoint.failing_since is not None


def test_a_refused_request_is_a_failed_attempt_with_its_error(fast, buyer, agent) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    register(buyer, f"http://127.0.0.1:{port}/")
    [delivery] = publish(agent, buyer.organization.pk)
    webhooks.webhooks_send_due()
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and delivery.last_status_code is None
    assert "ConnectionRefused" in delivery.last_error


def test_a_delivery_is_claimed_once(fast, buyer, agent, receiver) -> None:
    register(buyer, receiver.url)
    [delivery] = publish(agent, buyer.organization.pk)
    assert webhooks.webhook_delivery_attempt(delivery_id=delivery.pk) == "succeeded"
    assert webhooks.webhook_delivery_attempt(delivery_id=delivery.pk) is None  # not due any more
    assert len(receiver.requests) == 1


def test_resend_sends_again_with_the_same_id(fast, buyer, agent, receiver) -> None:
    register(buyer, receiver.url)
    [delivery] = publish(agent, buyer.organization.pk)
    send_until_settled(delivery)
    webhooks.webhook_delivery_resend(user=buyer, delivery=delivery)
    send_until_settled(delivery)
    assert [r["headers"]["webhook-id"] for r in receiver.requests] == [delivery.msg_id] * 2
    delivery.refresh_from_db()
    assert delivery.attempts == 2


def test_resend_to_a_disabled_endpoint_is_a_conflict(fast, buyer, agent) -> None:
    issued = register(buyer, "http://127.0.0.1:9/")
    [delivery] = publish(agent, buyer.organization.pk)
    webhooks.webhook_endpoint_disable(user=buyer, endpoint=issued.endpoint)
    with pytest.raises(Conflict):
        webhooks.webhook_delivery_resend(user=buyer, delivery=delivery)


# --- events become deliveries in the publishing transaction ----------------------------------------------------------


def test_an_event_becomes_a_delivery_per_subscribed_endpoint_queued_on_commit(
    fast, buyer, agent, django_capture_on_commit_callbacks
) -> None:
    register(buyer, "http://127.0.0.1:9/a", ["tier.changed"])
    register(buyer, "http://127.0.0.1:9/b", ["ledger.entry_created"])
    with django_capture_on_commit_callbacks() as queued:
        deliveries = publish(agent, buyer.organization.pk)
    assert [d.endpoint.url for d in deliveries] == ["http://127.0.0.1:9/a"]
    assert len(queued) == 1 and deliveries[0].status == "pending"


def test_a_rolled_back_event_leaves_no_delivery(fast, buyer, agent) -> None:
    register(buyer, "http://127.0.0.1:9/a")
    with pytest.raises(RuntimeError), transaction.atomic():
        publish(agent, buyer.organization.pk)
        raise RuntimeError("the change that caused it fails")
    assert not WebhookDelivery.objects.exists()


def test_other_organizations_endpoints_are_not_told(fast, buyer, agent) -> None:
    other = member("gil-globex", "Globex Retail", "buyer")
    register(other, "http://127.0.0.1:9/globex")
    assert publish(agent, buyer.organization.pk) == []


# --- SSRF -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "ff02::1",
    ],
)
def test_private_and_special_addresses_are_refused(address: str) -> None:
    import ipaddress

    assert refused_address(ipaddress.ip_address(address))


def test_public_addresses_pass() -> None:
    import ipaddress

    assert refused_address(ipaddress.ip_address("93.184.216.34")) == ""
    assert refused_address(ipaddress.ip_address("2606:2800:220:1:248:1893:25c8:1946")) == ""


@pytest.fixture
def resolves_to(monkeypatch: pytest.MonkeyPatch) -> Any:
    """resolves_to(address): every host name resolves to that address (no network needed)."""

    def patch(address: str) -> None:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET

        def fake(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
            return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

        monkeypatch.setattr("reputation.webhook_http.socket.getaddrinfo", fake)

    return patch


def test_registration_refuses_private_targets_when_not_allowed(settings, buyer, resolves_to) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = False
    for url, words in [
        ("https://127.0.0.1/hooks", "loopback"),
        ("https://[::1]/hooks", "loopback"),
        ("http://hooks.example.com/", "https"),
        ("ftp://hooks.example.com/", "https"),
        ("https://user:pw@hooks.example.com/", "credentials"),
    ]:
        with pytest.raises(ValidationError) as refused:
            register(buyer, url)
        assert words in str(refused.value.message_dict["url"]), url
    resolves_to("127.0.0.1")
    with pytest.raises(ValidationError) as refused:
        register(buyer, "https://innocent.example.com/hooks")
    assert "resolves to 127.0.0.1 (not public: loopback)" in refused.value.message_dict["url"][0]
    resolves_to("169.254.169.254")
    with pytest.raises(ValidationError):
        register(buyer, "https://metadata.example.com/")
    resolves_to("93.184.216.34")
    assert register(buyer, "https://hooks.example.com/trust").endpoint.pk
    assert not WebhookEndpoint.objects.exclude(url="https://hooks.example.com/trust").exists()


def test_delivery_refuses_a_host_that_now_resolves_to_loopback(settings, buyer, agent, receiver, resolves_to) -> None:
    """DNS rebinding: public at registration, 127.0.0.1 at delivery; nothing reaches the local receiver."""
    settings.WEBHOOK_ALLOW_PRIVATE = False
    settings.WEBHOOK_RETRY_JITTER = 0
    resolves_to("93.184.216.34")
    port = receiver.server.server_address[1]  # type: ignore[union-attr]
    register(buyer, f"https://rebind.example.com:{port}/")
    [delivery] = publish(agent, buyer.organization.pk)
    resolves_to("127.0.0.1")
    webhooks.webhooks_send_due()
    delivery.refresh_from_db()
    assert receiver.requests == []
    assert delivery.status == "retrying" and "loopback" in delivery.last_error
    assert delivery.attempt_log.get().error.startswith("refused:")


def test_an_unresolvable_host_is_refused_at_registration(settings) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = False
    with pytest.raises(TargetRefused, match="does not resolve"):
        check_target("https://no-such-host.invalid/")


# --- who sees what -----------------------------------------------------------------------------------------------


def test_owners_manage_members_read_and_nobody_else_sees(fast, buyer, vendor, outsider, staff) -> None:
    colleague = member("ben-buyer", "Northwind Bank", "buyer", role="member")
    other = member("gil-globex", "Globex Retail", "buyer")
    issued = register(buyer, "http://127.0.0.1:9/")
    endpoint = issued.endpoint

    assert list(webhooks.webhook_endpoint_list(user=colleague)) == [endpoint]
    with pytest.raises(Forbidden):
        webhooks.webhook_endpoint_rotate_secret(user=colleague, endpoint=endpoint)
    with pytest.raises(Forbidden):
        register(colleague, "http://127.0.0.1:9/mine")
    for stranger in (other, vendor, outsider, staff):
        assert list(webhooks.webhook_endpoint_list(user=stranger)) == []
        with pytest.raises(NotFound):
            webhooks.webhook_endpoint_get(user=stranger, webhook_id=endpoint.pk)
        with pytest.raises(NotFound):
            webhooks.webhook_endpoint_delete(user=stranger, endpoint=endpoint)
    with pytest.raises(Forbidden):
        register(vendor, "http://127.0.0.1:9/vendor")


def test_the_api_shows_the_secret_once(fast, buyer, bearer) -> None:
    api = bearer(buyer)
    created = api.post("/api/v1/webhooks/", {"url": "http://127.0.0.1:9/x", "events": ["tier.changed"]}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["id"]
    assert body["secret_prefix"] == body["secret"][:10]
    listed = api.get("/api/v1/webhooks/").json()["results"]
    assert "secret" not in listed[0] and body["secret"] not in json.dumps(listed)
    detail = api.get(f"/api/v1/webhooks/{body['id']}/").json()
    assert "secret" not in detail and detail["events"] == ["tier.changed"]

    rotated = api.post(f"/api/v1/webhooks/{body['id']}/rotate-secret/").json()
    assert rotated["secret"] != body["secret"] and rotated["rotating"] is True
    assert api.post(f"/api/v1/webhooks/{body['id']}/disable/").json()["enabled"] is False
    assert api.post(f"/api/v1/webhooks/{body['id']}/enable/").json()["enabled"] is True
    assert api.delete(f"/api/v1/webhooks/{body['id']}/").status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_the_api_refuses_unknown_events_and_private_urls(settings, buyer, bearer) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE = False
    api = bearer(buyer)
    unknown = api.post("/api/v1/webhooks/", {"url": "https://1.1.1.1/", "events": ["dispute.opened"]}, format="json")
    assert unknown.status_code == 400 and unknown.json()["errors"][0]["field"].startswith("events")
    private = api.post("/api/v1/webhooks/", {"url": "https://10.0.0.1/", "events": ["tier.changed"]}, format="json")
    assert private.status_code == 400 and private.json()["errors"][0]["field"] == "url"


def test_the_api_resend_queues_the_delivery(fast, buyer, agent, bearer) -> None:
    issued = register(buyer, "http://127.0.0.1:9/")
    [delivery] = publish(agent, buyer.organization.pk)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", next_attempt_at=None)
    response = bearer(buyer).post(f"/api/v1/webhooks/{issued.endpoint.pk}/deliveries/{delivery.pk}/resend/")
    assert response.status_code == 202 and response.json()["status"] == "pending"


# --- pages ---------------------------------------------------------------------------------------------------------


def test_the_page_registers_an_endpoint_and_shows_its_secret_once(fast, buyer, client) -> None:
    client.force_login(buyer)
    response = client.post(
        reverse("reputation:webhooks"), {"url": "http://127.0.0.1:9/hooks", "events": ["tier.changed"]}
    )
    page = response.content.decode()
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 200 and endpoint.secret in page and 'data-testid="issued-secret"' in page
    again = client.get(reverse("reputation:webhooks")).content.decode()
    assert endpoint.secret not in again and endpoint.secret[:10] in again
    detail = client.get(reverse("reputation:webhook", args=[endpoint.pk])).content.decode()
    assert endpoint.secret not in detail and "Rotate secret" in detail


def test_the_deliveries_page_shows_status_attempts_and_resends_with_htmx(fast, buyer, agent, client, receiver) -> None:
    receiver.script = [(500, {})] * 3
    issued = register(buyer, receiver.url)
    [delivery] = publish(agent, buyer.organization.pk)
    send_until_settled(delivery)
    client.force_login(buyer)
    page = client.get(reverse("reputation:webhook", args=[issued.endpoint.pk])).content.decode()
    assert 'class="chip chip-bad">failed' in page and "HTTP 500 Internal Server Error" in page
    assert page.count("<li><time") == 3

    row = client.post(
        reverse("reputation:webhook_resend", args=[issued.endpoint.pk, delivery.pk]), HTTP_HX_REQUEST="true"
    )
    assert row.status_code == 200
    text = row.content.decode()
    assert text.lstrip().startswith(f'<tr id="delivery-{delivery.pk}"') and "pending" in text


def test_members_read_the_pages_but_get_no_forms(fast, buyer, client) -> None:
    colleague = member("ben-buyer", "Northwind Bank", "buyer", role="member")
    issued = register(buyer, "http://127.0.0.1:9/")
    client.force_login(colleague)
    page = client.get(reverse("reputation:webhooks")).content.decode()
    assert "http://127.0.0.1:9/" in page and "Register an endpoint" not in page
    assert "Rotate secret" not in client.get(reverse("reputation:webhook", args=[issued.endpoint.pk])).content.decode()
    assert client.post(reverse("reputation:webhook_rotate", args=[issued.endpoint.pk])).status_code == 403


def test_the_menu_has_webhooks_for_buyers(buyer, vendor, client) -> None:
    client.force_login(buyer)
    assert reverse("reputation:webhooks") in client.get("/").content.decode()
    client.force_login(vendor)
    assert reverse("reputation:webhooks") not in client.get("/").content.decode()


# --- demo ----------------------------------------------------------------------------------------------------------


def test_the_demo_gives_northwind_a_failed_and_a_successful_delivery_without_sending(buyer, agent, monkeypatch) -> None:
    import io

    from reputation import demo_webhooks

    monkeypatch.setattr("reputation.webhook_http.socket.create_connection", None)  # any send would fail loudly
    demo_webhooks.seed(io.StringIO())
    demo_webhooks.seed(io.StringIO())  # idempotent
    endpoint = WebhookEndpoint.objects.get(organization=buyer.organization)
    statuses = {d.event_type: (d.status, d.attempts) for d in endpoint.deliveries.all()}
    assert statuses == {"verdict.breached": ("failed", 10), "tier.changed": ("succeeded", 2)}
    assert WebhookDelivery.objects.get(event_type="verdict.breached").attempt_log.count() == 10


# --- a real worker ---------------------------------------------------------------------------------------------------


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_once_the_event_commits(celery_worker, buyer, agent, receiver, settings) -> None:
    from tests.conftest import wait_for

    settings.WEBHOOK_ALLOW_PRIVATE = True  # the worker's own settings allow it too (DEBUG is on in tests)
    issued = register(buyer, receiver.url)
    with transaction.atomic():
        publish(agent, buyer.organization.pk)
        time.sleep(0.5)
        assert receiver.requests == []  # queued on commit: nothing leaves before it
    assert wait_for(lambda: len(receiver.requests) == 1, timeout=60)
    Webhook(issued.secret).verify(receiver.requests[0]["body"], receiver.requests[0]["headers"])
    assert wait_for(lambda: WebhookDelivery.objects.get().status == "succeeded", timeout=30)


@pytest.mark.parametrize("address", ["2002:7f00:1::", "2002:c0a8:0101::", "::ffff:10.0.0.1"])
def test_ipv4_carried_in_ipv6_is_judged_as_the_ipv4_address_it_reaches(address: str) -> None:
    import ipaddress

    assert refused_address(ipaddress.ip_address(address))
