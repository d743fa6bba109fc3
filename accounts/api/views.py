"""Accounts API: obtain a token with a password, manage one's tokens, who am I."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api.serializers import (
    InvitationAcceptInput,
    InvitationInput,
    InvitationOutput,
    IssuedInvitationOutput,
    IssuedTokenOutput,
    MemberOutput,
    MeOutput,
    NotificationOutput,
    NotificationReadInput,
    NotificationReadOutput,
    RoleInput,
    TokenCreateInput,
    TokenObtainInput,
    TokenOutput,
)
from accounts.models import ApiToken
from accounts.permissions import require
from accounts.roles import role_of, signed_in_user
from trust_portal.api.pagination import CursorPagination, paginated_response
from trust_portal.api.schema import PROBLEM
from trust_portal.clients import client_address


def _issued(issued: services.IssuedToken) -> dict[str, Any]:
    data = dict(IssuedTokenOutput(issued.token).data)
    data["token"] = issued.plaintext
    return data


class TokenObtainView(APIView):
    """Exchange a username and password for a new bearer token (throttled on failures)."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=TokenObtainInput,
        responses={201: IssuedTokenOutput, 400: PROBLEM, 429: PROBLEM},
        auth=[],
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = TokenObtainInput(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_authenticate(
            request=request._request,
            username=data.validated_data["username"],
            password=data.validated_data["password"],
            address=client_address(request._request),
        )
        issued = services.api_token_create(
            user=user, name=data.validated_data["name"], read_only=data.validated_data["read_only"]
        )
        return Response(_issued(issued), status=status.HTTP_201_CREATED)


class TokenListView(APIView):
    """The caller's own tokens; create another one."""

    pagination_class = CursorPagination  # for the schema: the GET answers through paginated_response

    @extend_schema(responses={200: TokenOutput(many=True), 401: PROBLEM}, tags=["auth"])
    def get(self, request: Request) -> Response:
        tokens = selectors.api_token_list(user=signed_in_user(request)).prefetch_related("agent_scopes__agent")
        return paginated_response(self, request, tokens, TokenOutput, "-pk")

    @extend_schema(
        request=TokenCreateInput,
        responses={201: IssuedTokenOutput, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        data = TokenCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.api_token_create(user=signed_in_user(request), **data.validated_data)
        return Response(_issued(issued), status=status.HTTP_201_CREATED)


class TokenDetailView(APIView):
    """Revoke one of the caller's tokens."""

    @extend_schema(responses={200: TokenOutput, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM}, tags=["auth"])
    def delete(self, request: Request, token_id: int) -> Response:
        user = signed_in_user(request)
        token = services.api_token_revoke(token=selectors.api_token_get(user=user, token_id=token_id), user=user)
        return Response(TokenOutput(token).data)


def me_body(user: Any, token: ApiToken | None) -> dict[str, Any]:
    """Who ``user`` is, as ``GET /api/v1/me/`` answers (and a newly accepted invitation): role, organization, token."""
    membership = user.membership_or_none
    organization = (
        {
            "name": membership.organization.name,
            "slug": membership.organization.slug,
            "kind": membership.organization.kind,
            "role": membership.role,
        }
        if membership
        else None
    )
    return dict(
        MeOutput(
            {"username": user.username, "role": role_of(user).value, "organization": organization, "token": token}
        ).data
    )


class MeView(APIView):
    """Who the caller is: role, organization, and the token in use."""

    @extend_schema(responses={200: MeOutput, 401: PROBLEM}, tags=["auth"])
    def get(self, request: Request) -> Response:
        user = signed_in_user(request)
        return Response(me_body(user, request.auth if isinstance(request.auth, ApiToken) else None))


class NotificationListView(APIView):
    """The caller's notifications, newest first."""

    pagination_class = CursorPagination

    @extend_schema(responses={200: NotificationOutput(many=True), 401: PROBLEM}, tags=["notifications"])
    def get(self, request: Request) -> Response:
        notifications = selectors.notification_list(user=signed_in_user(request))
        return paginated_response(self, request, notifications, NotificationOutput, "-created_at")


class NotificationReadView(APIView):
    @extend_schema(
        request=NotificationReadInput,
        responses={200: NotificationReadOutput, 400: PROBLEM, 401: PROBLEM},
        tags=["notifications"],
    )
    def post(self, request: Request) -> Response:
        data = NotificationReadInput(data=request.data)
        data.is_valid(raise_exception=True)
        marked = services.notifications_mark_read(
            user=signed_in_user(request), notification_ids=data.validated_data.get("ids")
        )
        return Response({"marked": marked})


class MemberListView(APIView):
    """The members of the caller's organization and their roles."""

    @extend_schema(responses={200: MemberOutput(many=True), 401: PROBLEM}, tags=["organization"])
    def get(self, request: Request) -> Response:
        return Response(MemberOutput(selectors.organization_member_list(user=signed_in_user(request)), many=True).data)


class MemberDetailView(APIView):
    """Change a member's role (owners), or remove a member (owners; anyone may remove themselves: leave)."""

    @extend_schema(
        request=RoleInput,
        responses={200: MemberOutput, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM},
        tags=["organization"],
    )
    def patch(self, request: Request, membership_id: int) -> Response:
        user = signed_in_user(request)
        membership = selectors.membership_get(user=user, membership_id=membership_id)
        require(user, "accounts.manage_members", membership)  # before the body is read
        data = RoleInput(data=request.data, partial=True)  # a PATCH without a role changes nothing
        data.is_valid(raise_exception=True)
        if "role" not in data.validated_data:
            return Response(MemberOutput(membership).data)
        updated = services.membership_set_role(user=user, membership=membership, role=data.validated_data["role"])
        return Response(MemberOutput(updated).data)

    @extend_schema(responses={204: None, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM}, tags=["organization"])
    def delete(self, request: Request, membership_id: int) -> Response:
        user = signed_in_user(request)
        services.membership_remove(
            user=user, membership=selectors.membership_get(user=user, membership_id=membership_id)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class InvitationListView(APIView):
    """The invitations of the organization the caller owns; create one (its link is shown once)."""

    @extend_schema(responses={200: InvitationOutput(many=True), 401: PROBLEM}, tags=["organization"])
    def get(self, request: Request) -> Response:
        return Response(InvitationOutput(selectors.invitation_list(user=signed_in_user(request)), many=True).data)

    @extend_schema(
        request=InvitationInput,
        responses={201: IssuedInvitationOutput, 400: PROBLEM, 403: PROBLEM},
        tags=["organization"],
    )
    def post(self, request: Request) -> Response:
        user = signed_in_user(request)
        require(user, "accounts.manage_members", user.organization)
        data = InvitationInput(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.invitation_create(user=user, organization=user.organization, **data.validated_data)  # type: ignore[arg-type]
        body = dict(InvitationOutput(issued.invitation).data)
        body["token"] = issued.secret
        body["url"] = request.build_absolute_uri(reverse("accounts:invitation", args=[issued.secret]))
        return Response(body, status=status.HTTP_201_CREATED)


class InvitationDetailView(APIView):
    @extend_schema(responses={200: InvitationOutput, 403: PROBLEM, 404: PROBLEM}, tags=["organization"])
    def delete(self, request: Request, invitation_id: int) -> Response:
        user = signed_in_user(request)
        invitation = services.invitation_revoke(
            user=user, invitation=selectors.invitation_get(user=user, invitation_id=invitation_id)
        )
        return Response(InvitationOutput(invitation).data)


class InvitationAcceptView(APIView):
    """Create an account in the inviting organization with the invitation's secret (single use)."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=InvitationAcceptInput,
        responses={201: MeOutput, 400: PROBLEM, 404: PROBLEM, 410: PROBLEM},
        auth=[],
        tags=["organization"],
    )
    def post(self, request: Request) -> Response:
        data = InvitationAcceptInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        member = services.invitation_accept(
            secret=fields["token"], username=fields["username"], password=fields["password"], email=fields["email"]
        )
        return Response(me_body(member, None), status=status.HTTP_201_CREATED)
