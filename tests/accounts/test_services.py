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
