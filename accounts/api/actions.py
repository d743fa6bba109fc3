"""An object's actions over the API, ``POST /api/v1/<things>/{id}/<action>/``, as the workflow apps (disputes,
incidents) expose them: one view class per action, documented one by one, each taking the same steps.

1. the caller signed in (401), no query parameters (400 naming one);
2. the object as the caller may see it (404 otherwise: ``find``);
3. the action's permission on it, through the one mechanism (403);
4. the body through the action's serializer (400 naming each field);
5. the domain's service, which checks the state and moves it (409 naming the state);
6. the object as it now is, as the caller may see it (``answer``), 200.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import require
from accounts.roles import signed_in_user
from trust_portal.api.params import strict_query


def act(
    request: Request,
    object_id: int,
    *,
    find: Callable[[Any, int], Any],
    permission: str,
    body_class: type[serializers.Serializer] | None,
    service: Callable[..., Any],
    target: str,
    answer: Callable[[Any, int], Any],
    partial: bool = False,
) -> Response:
    """The steps above for one request; ``service(user=…, <target>=the object, **the body's fields)``."""
    user = signed_in_user(request)
    strict_query(request)
    found = find(user, object_id)
    require(user, permission, found)
    fields: dict[str, Any] = {}
    if body_class is not None:
        data = body_class(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
    service(user=user, **{target: found}, **fields)
    return Response(answer(user, object_id))


def action_view(
    *,
    target: str,
    name: str,
    permission: str,
    body_class: type[serializers.Serializer] | None,
    service: Callable[..., Any],
    description: str,
    find: Callable[[Any, int], Any],
    answer: Callable[[Any, int], Any],
    responses: dict[int, Any],
    tags: list[str],
    examples: Iterable[OpenApiExample] = (),
) -> type[APIView]:
    """The view class of one action on a ``target`` (``dispute`` → ``DisputeRequestInfoView``, the URL's
    ``dispute_id``, the operation ``disputes_request_info``)."""

    @extend_schema(
        request=body_class,
        responses=responses,
        description=description,
        examples=list(examples),
        tags=tags,
        operation_id=f"{target}s_{name.replace('-', '_')}",
    )
    def post(self: APIView, request: Request, **kwargs: Any) -> Response:
        return act(
            request,
            kwargs[f"{target}_id"],
            find=find,
            permission=permission,
            body_class=body_class,
            service=service,
            target=target,
            answer=answer,
        )

    view_name = target.title() + "".join(part.title() for part in name.split("-")) + "View"
    return type(view_name, (APIView,), {"post": post, "__doc__": description.split(".")[0] + "."})
