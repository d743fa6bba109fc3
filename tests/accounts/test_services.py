"""Account services (accounts.services): a token is shown once and stored only as its hash."""

from __future__ import annotations

import hashlib

import pytest

from accounts.models import ApiToken
from accounts.services import api_token_create

pytestmark = pytest.mark.django_db


def test_stored_token_is_not_the_token(vendor) -> None:
    issued = api_token_create(user=vendor, name="x")
    stored = ApiToken.objects.get(pk=issued.token.pk)
    assert issued.plaintext not in {stored.digest, stored.prefix, stored.name}
    assert stored.digest == hashlib.sha256(issued.plaintext.encode()).hexdigest()
    assert issued.plaintext.startswith(stored.prefix)


# --- sign-in lock-out: per (username, address) with backoff --------------------------------------------------------


def _fail(username: str, address: str, times: int) -> None:
    from accounts import services

    for _ in range(times):
        with pytest.raises((services.InvalidCredentials, services.TooManyAttempts)):
            services.user_authenticate(request=None, username=username, password="wrong", address=address)


def test_a_stranger_guessing_from_elsewhere_does_not_lock_out_the_owners_address(buyer, password, settings) -> None:
    from accounts import services

    settings.LOGIN_FAILURE_LIMIT = 5
    _fail(buyer.username, "203.0.113.9", 5)
    with pytest.raises(services.TooManyAttempts):
        services.user_authenticate(request=None, username=buyer.username, password=password, address="203.0.113.9")
    user = services.user_authenticate(request=None, username=buyer.username, password=password, address="198.51.100.7")
    assert user.pk == buyer.pk


def test_the_lock_of_a_pair_doubles_with_each_further_failure(buyer, settings) -> None:
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from accounts import services

    settings.LOGIN_FAILURE_LIMIT = 2
    settings.LOGIN_FAILURE_WINDOW_SECONDS = 3600
    _fail(buyer.username, "203.0.113.9", 2)  # locked 30 s
    with pytest.raises(services.TooManyAttempts) as first:
        services.login_guard(username=buyer.username, address="203.0.113.9")
    assert 25 <= first.value.retry_after <= 30
    with time_machine.travel(timezone.now() + timedelta(seconds=31)):
        services.login_guard(username=buyer.username, address="203.0.113.9")  # the lock has passed
    services.login_failure_record(username=buyer.username, address="203.0.113.9")  # one more failure: 60 s
    with pytest.raises(services.TooManyAttempts) as second:
        services.login_guard(username=buyer.username, address="203.0.113.9")
    assert 55 <= second.value.retry_after <= 60


def test_many_addresses_guessing_one_username_hit_the_per_username_limit(buyer, password, settings) -> None:
    from accounts import services

    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_USER_LIMIT = 6
    for n in range(6):
        _fail(buyer.username, f"203.0.113.{n}", 1)
    with pytest.raises(services.TooManyAttempts):
        services.user_authenticate(request=None, username=buyer.username, password=password, address="198.51.100.7")
