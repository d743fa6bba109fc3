"""Data for the test suite: factory_boy factories, and builders of wire-format records and signed envelopes."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import factory
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.utils import timezone

from accounts.models import Membership, Organization, User
from evidence import keyproof, services
from trustcore import dsse

PASSWORD = "correct-horse-battery"


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    kind = Organization.Kind.VENDOR


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password(PASSWORD)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.OWNER


def member(username: str, org_name: str, kind: str, role: str = "owner") -> User:
    organization = OrganizationFactory(name=org_name, kind=kind)
    membership = MembershipFactory(user=UserFactory(username=username), organization=organization, role=role)
    return membership.user  # type: ignore[no-any-return]


def wire_record(*, age: timedelta = timedelta(hours=1), **overrides: Any) -> dict[str, Any]:
    """One valid record in the wire format whose period ended ``age`` ago; an override of None drops the key."""
    end = timezone.now() - age
    record: dict[str, Any] = {
        "kind": "telemetry",
        "metric": "task_success",
        "successes": 57,
        "trials": 60,
        "observed_from": (end - timedelta(days=1)).isoformat(),
        "observed_to": end.isoformat(),
        "source": {"tool": "prod-telemetry", "version": "1.4"},
        "visibility": "public",
    }
    for key, value in overrides.items():
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    return record


def accuracy_record(**overrides: Any) -> dict[str, Any]:
    """A pre-registered policy-accuracy eval run (what the Refund Bot pact's v2 wants signed)."""
    fields: dict[str, Any] = {
        "kind": "eval_run",
        "metric": "policy_accuracy",
        "successes": None,
        "trials": None,
        "value": 0.97,
        "measurement": {
            "task": "refund_policy_eval",
            "task_version": "1",
            "dataset_hash": "3f1a" * 16,
            "scorer": "match",
        },
    }
    return wire_record(**{**fields, **overrides})


def signing_pem(key: Ed25519PrivateKey) -> str:
    """The public half of a vendor's signing key, as PEM text (what the signing-keys API takes)."""
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def key_registration(user: Any, key: Ed25519PrivateKey, name: str = "ci") -> dict[str, str]:
    """What registering ``key`` for the user's organization takes: its PEM and its signature over a fresh challenge
    (the API's and the page's body; the service's keyword arguments)."""
    challenge = services.vendor_key_challenge(user=user).text
    return {
        "name": name,
        "public_pem": signing_pem(key),
        "challenge": challenge,
        "signature": keyproof.sign(challenge, key),
    }


def register_key(user: Any, key: Ed25519PrivateKey | None = None, name: str = "ci") -> Any:
    """A vendor key registered for the user's organization through the service (with its proof of possession)."""
    return services.vendor_key_register(user=user, **key_registration(user, key or Ed25519PrivateKey.generate(), name))


def envelope(record: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """A record as a vendor submits it signed: ``{"envelope": <DSSE envelope of its JSON>}``."""
    return {"envelope": dsse.sign(json.dumps(record).encode(), key)}
