"""Shared fixtures: the cast (vendor, buyer, arbiter, outsider), an agent with its pact, the wire format,
a signed log and a bundle, API clients, and real services.

Tests that need a service (PostgreSQL, Redis + a Celery worker, Chromium) skip
with a reason when it is missing, unless REQUIRE_SERVICES=1 (CI), where a
missing service fails the run instead.
"""

from __future__ import annotations

import copy
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from celery.result import allow_join_result
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import api_token_create
from pacts import services as pact_services
from pacts.demo_documents import REFUNDS_V1, refunds_v2
from pacts.models import Agent, Pact
from tests.factories import PASSWORD, UserFactory, key_registration, member, wire_record
from trust_portal.celery import app as celery_app

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def need(available: bool, reason: str) -> None:
    """Skip (or, under REQUIRE_SERVICES=1, fail) when a service is missing."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}", pytrace=False)
    pytest.skip(reason)


def port_open(url: str, default_port: int) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: takes seconds (builds a venv, say) but stays in the default run")
    # Tests run tasks in-process unless they ask for the real worker (see `celery_worker`).
    celery_app.conf.task_always_eager = True
    ARTIFACTS.mkdir(exist_ok=True)


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings: pytest.FixtureRequest) -> Iterator[None]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # type: ignore[attr-defined]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]
    cache.clear()
    # Celery keeps "a join would block" in one process-wide flag that each eager task sets and resets; eager
    # tasks run from several threads at once (the concurrent-ingest tests) can leave it set, and every later
    # .get() would refuse to wait ("Never call result.get() within a task"). No test starts inside a task.
    with allow_join_result():
        yield
    cache.clear()


# --- the cast --------------------------------------------------------------------


@pytest.fixture
def vendor(db: None) -> User:
    return member("vera-vendor", "Acme Agents", "vendor")


@pytest.fixture
def vendor_b(db: None) -> User:
    return member("victor-vendor", "Helix Automation", "vendor")


@pytest.fixture
def buyer(db: None) -> User:
    return member("bea-buyer", "Northwind Bank", "buyer")


@pytest.fixture
def arbiter(db: None) -> User:
    return UserFactory(username="ari-arbiter", is_arbiter=True)  # type: ignore[no-any-return]


@pytest.fixture
def staff(db: None) -> User:
    return UserFactory(username="sam-staff", is_staff=True)  # type: ignore[no-any-return]


@pytest.fixture
def root(db: None) -> User:
    """A superuser operator, for the admin."""
    return UserFactory(username="root", is_staff=True, is_superuser=True)  # type: ignore[no-any-return]


@pytest.fixture
def admin_client(client: Client, root: User) -> Client:
    """The Django test client signed in as ``root`` (replaces pytest-django's fixture of that name)."""
    client.force_login(root)
    return client


@pytest.fixture
def outsider(db: None) -> User:
    """Signed in, but in no organization and with no platform role."""
    return UserFactory(username="olly-outsider")  # type: ignore[no-any-return]


@pytest.fixture
def password() -> str:
    return PASSWORD


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def bearer() -> Callable[..., APIClient]:
    """bearer(user, read_only=False) -> an APIClient authenticated with a fresh token of that user."""

    def make(user: User, *, read_only: bool = False) -> APIClient:
        issued = api_token_create(user=user, name="test", read_only=read_only)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plaintext}")
        client.token = issued  # type: ignore[attr-defined]
        return client

    return make


# --- an agent of the vendor and its pact -----------------------------------------------------------


@pytest.fixture
def document() -> dict[str, Any]:
    """The demo Refund Bot pact (v1), a fresh copy to change at will."""
    return copy.deepcopy(REFUNDS_V1)


@pytest.fixture
def agent(vendor: User) -> Agent:
    return pact_services.agent_create(user=vendor, name="Refund Bot", slug="refund-bot", consequence_level="high")


@pytest.fixture
def draft_pact(agent: Agent, vendor: User, document: dict[str, Any]) -> Pact:
    return pact_services.pact_create(agent=agent, user=vendor, title="Refunds", document=document)


@pytest.fixture
def published_pact(draft_pact: Pact, vendor: User) -> Pact:
    pact_services.pact_version_publish(version=draft_pact.versions.get(number=1), user=vendor)
    draft_pact.refresh_from_db()
    return draft_pact


@pytest.fixture
def wire() -> Callable[..., dict[str, Any]]:
    """wire(**overrides) -> one valid record in the wire format (a success count observed an hour ago)."""
    return wire_record


# --- vendor-signed evidence -----------------------------------------------------------------------------


@pytest.fixture
def private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture
def registered(vendor: User, bearer: Callable[..., APIClient], private_key: Ed25519PrivateKey) -> dict[str, Any]:
    """The vendor's signing key, registered over the API (the response body)."""
    response = bearer(vendor).post("/api/v1/signing-keys/", key_registration(vendor, private_key), format="json")
    assert response.status_code == 201
    return response.json()  # type: ignore[no-any-return]


@pytest.fixture
def signing_pact(published_pact: Pact, vendor: User) -> Pact:
    """The Refund Bot pact at v2, whose policy-accuracy clause accepts signed evidence only."""
    draft = pact_services.pact_version_create_draft(pact=published_pact, user=vendor, document=refunds_v2())
    pact_services.pact_version_publish(version=draft, user=vendor)
    return published_pact


# --- a signed log and a bundle ----------------------------------------------------------------------------


@pytest.fixture
def bundle(published_pact: Pact, agent: Agent, vendor: User, wire: Callable[..., dict[str, Any]]) -> dict[str, Any]:
    """The vendor's bundle of Refund Bot: 3 resolution counts and one latency sample set, under a signed checkpoint."""
    from evidence import services as evidence_services
    from transparency import log as tlog
    from verdicts.bundle import bundle_build

    evidence_services.evidence_submit(
        agent=agent, items=[wire(successes=190 + i, trials=200) for i in range(3)], user=vendor
    )
    evidence_services.evidence_submit(
        agent=agent,
        items=[wire(successes=None, trials=None, metric="latency_ms", values=[900.0, 1200.0, 1450.0] * 200)],
        user=vendor,
    )
    tlog.checkpoint_sign()  # what the task queued by the ingest does
    return bundle_build(user=vendor, agent=agent)


@pytest.fixture
def key_pem() -> bytes:
    """The log's public key (PEM), as GET /api/v1/log/key.pem serves it."""
    from transparency import log as tlog

    return tlog.signing_key().public_pem.encode()


# --- real services -----------------------------------------------------------------


@pytest.fixture
def postgres(db: None) -> None:
    from django.db import connection

    need(connection.vendor == "postgresql", "this test needs PostgreSQL (set DATABASE_URL=postgres://...)")


REDIS_URL = os.environ.get("CELERY_BROKER_URL") or "redis://127.0.0.1:6379/15"


@pytest.fixture(scope="session")
def _celery_worker_process(django_db_setup: None, django_db_blocker: object) -> Iterator[str]:
    """A real `celery worker` process on its own queue, sharing the test database."""
    from django.db import connection

    # The test process must talk to the broker from the start: producers made for the embedded memory://
    # broker cannot be redirected to Redis halfway through a session.
    need(
        bool(os.environ.get("CELERY_BROKER_URL")),
        "the worker tests need CELERY_BROKER_URL=redis://… set for the test run",
    )
    need(port_open(REDIS_URL, 6379), f"Redis is not reachable at {REDIS_URL}")
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        need(False, "the Celery worker test needs a database another process can open: run it on PostgreSQL")
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_RESULT_BACKEND": REDIS_URL,
        "CELERY_QUEUE": queue,
        "WEBHOOK_ALLOW_PRIVATE": "1",  # the tests' webhook receivers listen on 127.0.0.1
    }
    log = open(ARTIFACTS / "celery-worker.log", "w")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "trust_portal",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield queue
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def celery_worker(_celery_worker_process: str) -> Iterator[str]:
    """Route tasks to the real worker for this test, then back to eager mode."""
    saved = {k: celery_app.conf[k] for k in ("task_always_eager", "broker_url", "result_backend", "task_default_queue")}
    celery_app.conf.update(
        task_always_eager=False,
        broker_url=REDIS_URL,
        result_backend=REDIS_URL,
        task_default_queue=_celery_worker_process,
    )
    try:
        yield _celery_worker_process
    finally:
        celery_app.conf.update(saved)


# --- browser --------------------------------------------------------------------------

BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    need(
        Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is not None,
        f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)",
    )
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": BROWSER_ARGS}


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[..., Path]:
    """screenshot(page, name) saves a full-page PNG under test-artifacts/ and returns its path."""

    def take(page: object, name: str) -> Path:
        path = ARTIFACTS / f"{request.node.name}-{name}.png"
        page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path

    return take


def wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False
