"""factory_boy factories shared by the test suite."""

from __future__ import annotations

import factory

from accounts.models import Membership, Organization, User

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
