"""Outbound webhook endpoints (SPEC §15); wire in wire/webhooks.py, docs/webhooks.md."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, Parameter

from application.webhooks.subscriptions import (
    DELIVERIES_MAX_LIMIT,
    CreateSubscription,
    CreateSubscriptionRequest,
    DeleteSubscription,
    GetSubscription,
    ListDeliveries,
    ListSubscriptions,
    RetryDelivery,
    RotateSubscriptionSecret,
)
from domain.errors import InvalidInput, NotFound, TooLarge
from domain.identity import Caller
from domain.webhooks.model import DeliveryStatus
from entrypoints.http.auth import SECURITY
from entrypoints.http.body import read_capped
from entrypoints.http.errors import error_responses
from entrypoints.http.options import allow_options
from entrypoints.http.wire.decoding import decode_struct
from entrypoints.http.wire.openapi import raw_body_operation
from entrypoints.http.wire.webhooks import (
    SUBSCRIPTION_MAX_BODY_BYTES,
    DeliveryList,
    DeliveryOut,
    RetryOut,
    SubscriptionIn,
    SubscriptionList,
    SubscriptionOut,
    SubscriptionWithSecret,
)

_NOT_YOURS = {404: "No such subscription (another user's is 404 too)"}
_STATUS = {"oneOf": None, "type": "string", "enum": [s.value for s in DeliveryStatus]}
_LIMIT = {
    "oneOf": None,
    "type": "integer",
    "minimum": 1,
    "maximum": DELIVERIES_MAX_LIMIT,
    "default": DELIVERIES_MAX_LIMIT,
}
_EVENT_ID_MAX = 2**63 - 1


def _limit(text: str | None) -> int:
    if text is None:
        return DELIVERIES_MAX_LIMIT
    try:
        return int(text, 10)
    except ValueError:
        raise InvalidInput("limit", f"must be an integer 1-{DELIVERIES_MAX_LIMIT}") from None


class SubscriptionsController(Controller):
    path = "/api/v1/subscriptions"
    tags = ["webhooks"]

    options = allow_options("/")  # GET and POST share the path
    options_one = allow_options("/{subscription_id:str}")  # GET and DELETE

    @post(
        "/",
        summary="Subscribe a URL to the caller's events (the secret is shown only here)",
        status_code=201,
        operation_class=raw_body_operation(SubscriptionIn, "The subscription (JSON)."),
        request_max_body_size=None,  # our own cap applies
        security=SECURITY,
        responses=error_responses(
            400,
            401,
            409,
            413,
            described={
                400: "A bad body: not an http(s) URL, too long, a host that resolves to a "
                "private address, an unknown event type; `field` names it",
                409: "The caller already has WEBHOOKS_MAX_PER_USER subscriptions",
            },
        ),
    )
    async def create(
        self,
        request: Request[Any, Any, Any],
        caller: NamedDependency[Caller],
        create_subscription: NamedDependency[CreateSubscription],
    ) -> SubscriptionWithSecret:
        raw = await read_capped(request, SUBSCRIPTION_MAX_BODY_BYTES)
        if raw is None:
            raise TooLarge(f"request body is larger than {SUBSCRIPTION_MAX_BODY_BYTES} bytes")
        body = decode_struct(raw, SubscriptionIn)
        events = [e.value for e in body.events] if body.events is not None else None
        created = await create_subscription(
            caller, CreateSubscriptionRequest(body.url, events, body.instrument)
        )
        return SubscriptionWithSecret.with_secret(created)

    @get(
        "/",
        summary="The caller's subscriptions",
        security=SECURITY,
        responses=error_responses(401),
    )
    async def list_all(
        self,
        caller: NamedDependency[Caller],
        list_subscriptions: NamedDependency[ListSubscriptions],
    ) -> SubscriptionList:
        found = await list_subscriptions(caller)
        return SubscriptionList(items=[SubscriptionOut.of(s) for s in found])

    @get(
        "/{subscription_id:str}",
        summary="One of the caller's subscriptions",
        security=SECURITY,
        responses=error_responses(401, 404, described=_NOT_YOURS),
    )
    async def get_one(
        self,
        subscription_id: FromPath[str],
        caller: NamedDependency[Caller],
        get_subscription: NamedDependency[GetSubscription],
    ) -> SubscriptionOut:
        return SubscriptionOut.of(await get_subscription(caller, subscription_id))

    @delete(
        "/{subscription_id:str}",
        summary="Delete one of the caller's subscriptions and its deliveries",
        status_code=204,
        security=SECURITY,
        responses=error_responses(401, 404, described=_NOT_YOURS),
    )
    async def delete_one(
        self,
        subscription_id: FromPath[str],
        caller: NamedDependency[Caller],
        delete_subscription: NamedDependency[DeleteSubscription],
    ) -> None:
        await delete_subscription(caller, subscription_id)

    @post(
        "/{subscription_id:str}/rotate-secret",
        summary="A new secret; the old one keeps signing alongside it for 24 h",
        status_code=200,
        security=SECURITY,
        responses=error_responses(401, 404, described=_NOT_YOURS),
    )
    async def rotate_secret(
        self,
        subscription_id: FromPath[str],
        caller: NamedDependency[Caller],
        rotate_subscription_secret: NamedDependency[RotateSubscriptionSecret],
    ) -> SubscriptionWithSecret:
        rotated = await rotate_subscription_secret(caller, subscription_id)
        return SubscriptionWithSecret.with_secret(rotated)

    @get(
        "/{subscription_id:str}/deliveries",
        summary="The delivery attempts of one of the caller's subscriptions, by event id",
        security=SECURITY,
        responses=error_responses(400, 401, 404, described=_NOT_YOURS),
    )
    async def deliveries(
        self,
        subscription_id: FromPath[str],
        caller: NamedDependency[Caller],
        list_deliveries: NamedDependency[ListDeliveries],
        status: Annotated[str | None, Parameter(schema_extra=_STATUS)] = None,
        limit: Annotated[str | None, Parameter(schema_extra=_LIMIT)] = None,
    ) -> DeliveryList:
        found = await list_deliveries(caller, subscription_id, status, _limit(limit))
        return DeliveryList(
            items=[
                DeliveryOut(
                    event_id=a.event_id,
                    attempt=a.attempt,
                    status=a.status,
                    response_status=a.response_status,
                    error=a.error,
                    at=a.at,
                    next_attempt_at=a.next_attempt_at,
                )
                for a in found
            ]
        )

    @post(
        "/{subscription_id:str}/deliveries/{event_id:str}/retry",
        summary="Queue a failed delivery again (attempted at once, schedule restarted)",
        status_code=202,
        security=SECURITY,
        responses=error_responses(
            401,
            404,
            409,
            described={
                404: "No such subscription or delivery",
                409: "The delivery is not failed, or the subscription is disabled",
            },
        ),
    )
    async def retry(
        self,
        subscription_id: FromPath[str],
        event_id: FromPath[str],
        caller: NamedDependency[Caller],
        retry_delivery: NamedDependency[RetryDelivery],
    ) -> Response[RetryOut]:
        if (
            not event_id.isascii()
            or not event_id.isdigit()
            or len(event_id) > 19
            or int(event_id) > _EVENT_ID_MAX
        ):
            raise NotFound("no such delivery")
        await retry_delivery(caller, subscription_id, int(event_id))
        return Response(RetryOut(int(event_id), DeliveryStatus.PENDING), status_code=202)
