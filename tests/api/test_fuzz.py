"""Property-based fuzz of the whole OpenAPI document (schemathesis), in-process over ASGI: no server, no
traffic leaves the process.

Every operation gets schema-derived valid and invalid input (fixed seed, derandomised, bounded examples),
once with an admin key and once with a viewer key, against a database with the reference data and a few
complaints, escalations and letters; a share of the values are real codes and ids, calendar edges and
awkward text. The API must never answer 5xx nor anything its document does not describe (status code,
content type, body schema). About 45 s on SQLite, 50 s on PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from sqlmodel import select

from api.main import create_app
from core.casework.escalation import run_sweep
from core.identity.keys import create_key
from models import ApiKey, Category, Complaint, Letter, Opd, SlaTier, Status, User
from tests.factories import add_complaint, rapor_fixture, seeded

pytestmark = pytest.mark.slow

SEED = 16
MAX_EXAMPLES = 10
SHARED_FILTER_ROUTES = r"^/api/v1/stats/(by-|timeseries|response-times|ratings)"
WIB = ZoneInfo("Asia/Jakarta")
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance")


def _complaints(session, settings, engine) -> None:
    rapor_fixture(session, "DINKES", resolved=3, in_progress=2, dispatched=2, unverified=1)
    add_complaint(session, "whatsapp", "wa-1", status=Status.verified, rahasia=True, anonim=True,
                  reporter_name="Siti", reporter_contact="6281234567001")
    add_complaint(session, "google_reviews", "gr-1", rating=1, title="Antrean RSUD lama")
    add_complaint(session, "call112", "c112-1", status=Status.resolved, category_code="INFRA-PJU")
    # Received the Friday before Waisak 2025 and swept through the ladder: escalation records and letters.
    add_complaint(session, "lapor", "esc-1", received_at=datetime(2025, 5, 9, 16, tzinfo=WIB))
    for day in (14, 15, 16, 19):
        run_sweep(engine, settings, now=datetime(2025, 5, day, 8, tzinfo=WIB))


def _dictionaries(session) -> tuple[dict, dict]:
    """Real codes and ids, so that a share of the generated requests reach existing rows."""
    def values(column) -> list:
        return [v for v in session.exec(select(column)).all() if v is not None] or ["-"]

    dictionaries = {
        "codes": {"values": values(Opd.code) + values(Category.code) + values(SlaTier.code)},
        "opd": {"values": values(Opd.code)},
        "category": {"values": values(Category.code)},
        "complaint_ids": {"values": values(Complaint.id)},
        "tracking": {"values": values(Complaint.tracking_code)},
        "letters": {"values": values(Letter.id)},
        "users": {"values": values(User.username)},
        # Edges that broke routes before: the ends of the calendar, text a database or a workbook cannot hold.
        "dates": {"values": ["0001-01-01", "9999-12-31", "0001-01-01T00:00:00", "9999-12-31T23:59:59+14:00",
                             "2026-11-02"]},
        "text": {"values": ["Jalan\x00rusak", "Lampu\x0bmati", '=HYPERLINK("http://x")', "Jalan rusak"]},
    }
    half, some = 0.5, 0.3
    date_parameters = ("received_from", "received_to", "period_start", "period_end", "since", "until",
                       "start_date", "end_date")
    parameters = {
        **{f"query.{name}": {"dictionary": "dates", "probability": some} for name in date_parameters},
        "body.title": {"dictionary": "text", "probability": some},
        "body.body": {"dictionary": "text", "probability": some},
        "path.code": {"dictionary": "codes", "probability": half},
        "path.complaint_id": {"dictionary": "complaint_ids", "probability": half},
        "path.letter_id": {"dictionary": "letters", "probability": half},
        "path.request_id": {"dictionary": "tracking", "probability": half},
        "path.tracking_code": {"dictionary": "tracking", "probability": half},
        "path.username": {"dictionary": "users", "probability": half},
        "query.opd": {"dictionary": "opd", "probability": half},
        "query.category": {"dictionary": "category", "probability": half},
        "query.service_code": {"dictionary": "category", "probability": half},
    }
    return dictionaries, parameters


class Credentials:
    """The key the fuzz calls with, renewed when the fuzz itself revokes it (admin: DELETE /keys/{id})."""

    def __init__(self, session, role: str):
        self.session, self.role = session, role
        self._new()

    def _new(self) -> None:
        self.key, raw = create_key(self.session, f"fuzz-{self.role}", self.role)
        self.headers = {"X-API-Key": raw}

    def renew_if_revoked(self) -> None:
        self.session.expire_all()
        if self.session.get(ApiKey, self.key.id).revoked:
            self._new()


@pytest.fixture(params=["admin", "viewer"])
def credentials(request, settings, session, engine, user_for) -> Credentials:
    seeded(session)
    _complaints(session, settings, engine)
    user_for("analyst", username="analis")
    return Credentials(session, request.param)


def _config(session, role: str) -> schemathesis.Config:
    dictionaries, parameters = _dictionaries(session)
    return schemathesis.Config.from_dict({
        "seed": SEED,
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large", "large_base_example"],
        "dictionaries": dictionaries,
        "parameters": parameters,
        "generation": {"max-examples": MAX_EXAMPLES, "deterministic": True, "database": "none"},
        # A conformance check, not a latency one: on a loaded CI machine a first PDF once took over the
        # default 10 s (1.3 s idle, 0.2-0.7 s warm).
        "request-timeout": 60,
        "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        # Boundary and invalid values (the coverage phase) test parsing and validation, which do not depend
        # on the role: the admin run covers them. The complaint filters are one dependency shared by the list,
        # the exports and every /stats route; their boundaries are covered on the list, the exports and
        # /stats/summary, the other /stats routes get the random (fuzzing) phase only.
        "phases": {"coverage": {"enabled": role == "admin"}},
        "operations": [{"include-path-regex": SHARED_FILTER_ROUTES, "phases": {"coverage": {"enabled": False}}}],
    })


@pytest.fixture
def api_schema(request, credentials):
    # schemathesis 4.32 reads and rewrites `Function._nodeid` (for its per-operation labels); pytest 9.2
    # keeps the id elsewhere, so give it the attribute it expects.
    request.node._nodeid = request.node.nodeid
    config = _config(credentials.session, credentials.role)
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(), config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_api_conforms_to_its_openapi_document(case, credentials):
    case.call_and_validate(headers=credentials.headers)
    if case.operation.label == "DELETE /api/v1/keys/{key_id}":
        credentials.renew_if_revoked()
