"""Rate limit of the public, no-log-in routes (/api/v1/public/*), per client address.

The client address is the one uvicorn gives the request: behind a proxy listed in ADUAN_TRUSTED_PROXIES (the
dashboard, a reverse proxy) it is the address that proxy forwards in X-Forwarded-For, so the /publik page is
limited per person, not as one dashboard. Counted with `limits` (moving window) in this process's memory:
with several API processes each counts on its own, so the effective limit is the setting times the processes.
"""

from __future__ import annotations

import math
import time

from fastapi import HTTPException, Request, status
from limits import RateLimitItemPerMinute
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from api.deps import SettingsDep

NAMESPACE = "public"


def client_address(request: Request) -> str:
    return request.client.host if request.client and request.client.host else "-"


class PublicRateLimit:
    """A FastAPI dependency; one instance per application (its counts live in the instance)."""

    def __init__(self) -> None:
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def __call__(self, request: Request, settings: SettingsDep) -> None:
        item = RateLimitItemPerMinute(settings.public_rate_per_minute)
        who = client_address(request)
        if self.limiter.hit(item, NAMESPACE, who):
            return
        reset = self.limiter.get_window_stats(item, NAMESPACE, who).reset_time
        wait = max(1, math.ceil(reset - time.time()))
        raise HTTPException(status.HTTP_429_TOO_MANY_REQUESTS,
                            f"terlalu banyak permintaan dari alamat ini; coba lagi dalam {wait} detik",
                            headers={"Retry-After": str(wait)})
