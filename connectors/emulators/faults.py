"""Fault knobs shared by the emulators: what real upstreams do to a client on a bad day."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@dataclass
class Faults:
    error_rate: float = 0.0  # probability of a 500 or 503 on a data request
    rate_limit_rate: float = 0.0  # probability of a 429 carrying Retry-After
    rate_limit_next: int = 0  # the next N data requests get a 429
    retry_after: float = 1.0  # seconds sent in Retry-After
    slow_rate: float = 0.0  # probability of answering only after slow_seconds
    slow_next: int = 0  # the next N data requests are slow
    slow_seconds: float = 5.0
    truncate_rate: float = 0.0  # probability of cutting a good JSON body short
    truncate_next: int = 0  # the next N good pages are cut short
    repeat_token_after: int | None = None  # from this page of a walk on, nextPageToken stops moving
    edits_per_sync: int = 0  # records edited whenever a sync starts (first page asked for)
    seed: int = 0
    _rng: random.Random = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self):
        self._rng = random.Random(self.seed)

    def update(self, changes: dict[str, Any]) -> None:
        known = {f.name for f in fields(self) if not f.name.startswith("_")}
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown fault knob(s): {', '.join(sorted(unknown))}")
        for name, value in changes.items():
            setattr(self, name, value)
        if "seed" in changes:
            self._rng = random.Random(self.seed)

    def public(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}

    async def before(self, error_body: Any = None) -> Response | None:
        """A failure response to send instead of the page, or None; may also stall first."""
        rng = self._rng
        if rng.random() < self.rate_limit_rate or self.rate_limit_next > 0:
            self.rate_limit_next = max(0, self.rate_limit_next - 1)
            return JSONResponse(error_body or {"error": "rate limited"}, status_code=429,
                                headers={"Retry-After": _seconds(self.retry_after)})
        if rng.random() < self.error_rate:
            status = rng.choice((500, 503))
            return JSONResponse({"error": "server error"}, status_code=status)
        if rng.random() < self.slow_rate or self.slow_next > 0:
            self.slow_next = max(0, self.slow_next - 1)
            await asyncio.sleep(self.slow_seconds)
        return None

    def body(self, payload: Any) -> Response:
        raw = json.dumps(payload, ensure_ascii=False).encode()
        cut = self.truncate_next > 0 or self._rng.random() < self.truncate_rate
        if cut:
            self.truncate_next = max(0, self.truncate_next - 1)
            raw = raw[: max(1, len(raw) * 2 // 3)]
        return Response(raw, media_type="application/json")


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


async def control_faults(faults: Faults, request: Request) -> JSONResponse:
    """`POST /_control/faults` with a JSON object of knobs to change; `GET` shows them."""
    if request.method == "POST":
        try:
            faults.update(await request.json())
        except (ValueError, TypeError) as exc:
            return JSONResponse({"detail": str(exc)}, status_code=400)
    return JSONResponse(faults.public())


async def read_json(request: Request) -> dict:
    raw = await request.body()
    return json.loads(raw) if raw else {}


def control_routes(store, faults: Faults, default_edit: str, state: Callable[[], dict]) -> list[Route]:
    """`/_control/add|edit|faults|state`, the same on every emulator: the demo and tests drive them."""

    async def add(request: Request) -> Response:
        body = await read_json(request)
        return JSONResponse({"added": store.add(int(body.get("n", 1)))})

    async def edit(request: Request) -> Response:
        body = await read_json(request)
        try:
            edited = store.edit(int(body.get("n", 1)), body.get("kind", default_edit), ids=body.get("ids"))
        except (ValueError, KeyError) as exc:
            return JSONResponse({"detail": str(exc)}, status_code=400)
        return JSONResponse({"edited": edited})

    async def state_route(request: Request) -> Response:
        return JSONResponse({**state(), "faults": faults.public()})

    async def faults_route(request: Request) -> Response:
        return await control_faults(faults, request)

    return [Route("/_control/add", add, methods=["POST"]), Route("/_control/edit", edit, methods=["POST"]),
            Route("/_control/faults", faults_route, methods=["GET", "POST"]), Route("/_control/state", state_route)]
