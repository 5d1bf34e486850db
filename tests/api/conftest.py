from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from core.keys import create_key
from tests.factories import seeded


@pytest.fixture
def client(settings, session) -> TestClient:
    seeded(session)
    with TestClient(create_app()) as c:
        yield c


@pytest.fixture
def key_for(session) -> Callable[..., dict[str, str]]:
    """`key_for("analyst")` → headers carrying a fresh key of that role."""

    def make(role: str, opd: str | None = None) -> dict[str, str]:
        _, raw = create_key(session, f"test-{role}", role, opd)
        return {"X-API-Key": raw}

    return make
