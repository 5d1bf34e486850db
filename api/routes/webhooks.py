"""Webhook endpoints of push connectors (WhatsApp Cloud API). Authenticated by the upstream's
signature, not by an API key: the connector instance's secret is the credential."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel

from api.deps import EngineDep, SessionDep
from api.responses import NOT_FOUND, TOO_LARGE, problem
from core.intake import webhooks

router = APIRouter(tags=["webhooks"])


class DeliveryAck(BaseModel):
    received: int
    new: int
    duplicates: int


@router.get("/webhooks/{instance_name}", response_class=PlainTextResponse,
            responses={403: {"description": "verify token does not match"}, 404: {"description": "unknown"}})
def verify_subscription(instance_name: str, request: Request, session: SessionDep) -> PlainTextResponse:
    try:
        answer = webhooks.handshake(session, instance_name, dict(request.query_params))
    except webhooks.UnknownInstance as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    if answer is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "hub.verify_token tidak cocok")
    return PlainTextResponse(answer)


@router.post("/webhooks/{instance_name}", response_model=DeliveryAck,
             responses={400: problem("signed, but not a delivery this connector can read"),
                        401: {"description": "signature missing"}, 403: {"description": "signature invalid"},
                        **NOT_FOUND, **TOO_LARGE})
async def receive_delivery(instance_name: str, request: Request, background: BackgroundTasks,
                           session: SessionDep, engine: EngineDep) -> DeliveryAck:
    body = await request.body()  # the exact bytes: the signature covers them, not a re-serialisation
    try:
        delivery = await run_in_threadpool(webhooks.receive, session, instance_name, body, request.headers)
    except webhooks.UnknownInstance as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    except webhooks.BadSignature as exc:
        code = status.HTTP_401_UNAUTHORIZED if exc.missing else status.HTTP_403_FORBIDDEN
        raise HTTPException(code, f"X-Hub-Signature-256: {exc}") from None
    except webhooks.BadDelivery as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    if delivery.new_ids:
        # After the 200: a crash here leaves the records pending in the inbox for `replay_pending`.
        background.add_task(webhooks.normalise_records, engine, instance_name, delivery.new_ids)
    return DeliveryAck(received=delivery.received, new=len(delivery.new_ids), duplicates=delivery.duplicates)
