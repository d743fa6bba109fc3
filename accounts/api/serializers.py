"""Input and output serializers for the accounts API (one pair per operation)."""

from __future__ import annotations

from rest_framework import serializers

from accounts.models import ApiToken


class TokenObtainInput(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})
    name = serializers.CharField(max_length=100, required=False, default="API token")
    read_only = serializers.BooleanField(required=False, default=False)  # type: ignore[assignment]


class TokenCreateInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    read_only = serializers.BooleanField(required=False, default=False)  # type: ignore[assignment]
    expires_at = serializers.DateTimeField(required=False, allow_null=True, default=None)


class TokenOutput(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "read_only",
            "created_at",
            "last_used_at",
            "expires_at",
            "revoked_at",
            "is_active",
            "holder",
            "agents",
        ]
        read_only_fields = fields

    holder = serializers.CharField(source="user.username", read_only=True, help_text="Whose token it is.")
    agents = serializers.SerializerMethodField(
        help_text="An ingest token's agents (slugs): it submits evidence for them and reads only what anyone may, "
        "plus the records and imports it submitted. Empty: the token acts as its holder."
    )

    def get_agents(self, token: ApiToken) -> list[str]:
        return [scope.agent.slug for scope in token.agent_scopes.all()]  # type: ignore[attr-defined]


class IssuedTokenOutput(TokenOutput):
    token = serializers.CharField(read_only=True, help_text="The bearer token. Shown once; store it now.")

    class Meta(TokenOutput.Meta):
        fields = [*TokenOutput.Meta.fields, "token"]
        read_only_fields = fields


class OrganizationOutput(serializers.Serializer):
    name = serializers.CharField()
    slug = serializers.CharField()
    kind = serializers.CharField()
    role = serializers.CharField(help_text="The user's role in it: owner or member.")


class MeOutput(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField(help_text="vendor, buyer, arbiter, staff or unassigned")
    organization = OrganizationOutput(allow_null=True)
    token = TokenOutput(allow_null=True, help_text="The token used for this call, if any.")


class NotificationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    title = serializers.CharField()
    body = serializers.CharField()
    url = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)


class NotificationReadInput(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=1000,
        help_text="Which to mark read; all unread when absent.",
    )


class NotificationReadOutput(serializers.Serializer):
    marked = serializers.IntegerField()


class MemberOutput(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.get_full_name")
    role = serializers.ChoiceField(choices=["owner", "member"])
    joined_at = serializers.DateTimeField(source="created_at")


class RoleInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=["owner", "member"])


class InvitationInput(serializers.Serializer):
    role = serializers.ChoiceField(choices=["owner", "member"], default="member")
    note = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class InvitationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.CharField()
    note = serializers.CharField()
    status = serializers.CharField(help_text="pending, accepted, revoked or expired")
    created_by = serializers.CharField(source="created_by.username")
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    accepted_by = serializers.CharField(source="accepted_by.username", allow_null=True, default=None)


class IssuedInvitationOutput(InvitationOutput):
    url = serializers.CharField(help_text="The invitation link. Shown once: send it to the person you invite.")
    token = serializers.CharField(help_text="The link's secret, for POST /api/v1/invitations/accept/.")


class InvitationAcceptInput(serializers.Serializer):
    token = serializers.CharField(max_length=100)
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})
    email = serializers.EmailField(required=False, default="", allow_blank=True)
