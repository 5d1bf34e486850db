"""The full role × endpoint matrix — for API keys and for logged-in users alike — and what each role
sees of a complaint."""

import itertools

import pytest

from tests.factories import add_complaint

API = "/api/v1"
ROLES = ("none", "viewer", "analyst", "petugas", "opd_other", "opd_own", "admin")
KEYED = ROLES[1:]
_serial = itertools.count()


def everyone(code=200):
    return {"none": 401, **dict.fromkeys(KEYED, code)}


def admin_only(code=200):
    return {"none": 401, **dict.fromkeys(KEYED, 403), "admin": code}


def public(code=200):
    return dict.fromkeys(ROLES, code)


def casework(code=200, petugas=403, opd_other=None):
    """Individual complaints: not for viewers (aggregates only)."""
    return {**everyone(code), "viewer": 403, "petugas": petugas, **({"opd_other": opd_other} if opd_other else {})}


def fresh_complaint(session):
    return add_complaint(session, external_id=f"m{next(_serial)}", status="dispatched", opd_code="DPUPR")


def queued_complaint(session):
    """A new WhatsApp complaint in the unverified queue, no category yet: what a petugas triages."""
    return add_complaint(session, "whatsapp", external_id=f"q{next(_serial)}", category_code=None)


def uniq(prefix):
    return f"{prefix}{next(_serial)}"


def walk_in():
    return {"title": f"Lampu jalan mati {uniq('no')}", "body": "Sudah seminggu gelap.", "category": "INFRA-PJU",
            "kecamatan": "Kanigoro", "desa": "Gogodeso"}


# (method, path; "{id}" = the shared complaint, "{fresh}" = a new one per call, body factory, expected)
MATRIX = [
    ("GET", "/health", None, public()),
    ("GET", "/me", None, everyone()),
    ("GET", "/complaints", None, casework(petugas=200)),
    ("GET", "/complaints/{id}", None, casework(petugas=404, opd_other=404)),
    ("GET", "/complaints/{id}/similar", None, casework(petugas=404, opd_other=404)),
    ("POST", "/complaints", walk_in, {**casework(201, petugas=201), "admin": 201}),
    # A petugas reads the unverified queue (and what it typed in), not a dispatched complaint: 404.
    ("POST", "/complaints/{fresh}/actions", lambda: {"action": "respond", "note": "Ditangani"},
     {"none": 401, "viewer": 403, "analyst": 403, "petugas": 404, "opd_other": 404, "opd_own": 200, "admin": 200}),
    ("POST", "/complaints/{fresh}/actions", lambda: {"action": "verify"},
     {"none": 401, "viewer": 403, "analyst": 403, "petugas": 404, "opd_other": 404, "opd_own": 403, "admin": 409}),
    # The queue: a petugas triages it (verify, dispatch, categorize, reject, merge), never records follow-up.
    ("GET", "/complaints/{queued}", None, {**casework(petugas=200, opd_other=404), "opd_own": 404}),
    ("GET", "/complaints/{queued}/similar", None, {**casework(petugas=200, opd_other=404), "opd_own": 404}),
    ("POST", "/complaints/{queued}/actions", lambda: {"action": "dispatch", "category": "ADMINDUK-KTP"},
     {"none": 401, "viewer": 403, "analyst": 403, "petugas": 200, "opd_other": 404, "opd_own": 404, "admin": 200}),
    ("POST", "/complaints/{queued}/actions", lambda: {"action": "reject", "reason": "spam"},
     {"none": 401, "viewer": 403, "analyst": 403, "petugas": 200, "opd_other": 404, "opd_own": 404, "admin": 200}),
    ("POST", "/complaints/{queued}/actions", lambda: {"action": "resolve", "note": "Selesai"},
     {"none": 401, "viewer": 403, "analyst": 403, "petugas": 403, "opd_other": 404, "opd_own": 404, "admin": 409}),
    # id 1 is the shared dispatched complaint: not in a petugas' rows (422 names it, nothing changes).
    ("POST", "/complaints/bulk-actions", lambda: {"action": "categorize", "category": "INFRA-PJU", "ids": [1]},
     {"none": 401, "viewer": 403, "analyst": 403, "petugas": 422, "opd_other": 403, "opd_own": 403, "admin": 200}),
    ("GET", "/reference/reject-reasons", None, everyone()),
    *[("GET", f"/stats/{name}", None, everyone()) for name in (
        "summary", "by-channel", "by-opd", "by-category", "by-kecamatan", "timeseries?bucket=month",
        "response-times", "ratings?channel=google_reviews")],
    ("GET", "/rapor", None, everyone()),
    ("GET", "/rapor.xlsx", None, everyone()),
    ("GET", "/rapor.pdf", None, everyone()),
    ("GET", "/briefing.pdf", None, {**admin_only(), "analyst": 200}),
    ("GET", "/export/complaints.csv", None, casework(petugas=200)),
    ("GET", "/export/complaints.xlsx", None, casework(petugas=200)),
    ("GET", "/opd/DPUPR/overdue", None, {**casework(), "opd_other": 403}),
    ("GET", "/letters", None, casework()),
    ("GET", "/escalations", None, casework()),
    ("GET", "/stats/calls", None, everyone()),
    ("GET", "/stats/calls/handling-time", None, everyone()),
    ("GET", "/export/lapor-manual.xlsx", None, casework(petugas=200)),
    ("GET", "/complaints/import/template.xlsx", None, {**casework(petugas=200), "opd_other": 200}),
    ("GET", "/connectors", None, {**admin_only(), "analyst": 200}),
    *[("GET", f"/{name}", None, everyone()) for name in (
        "opd", "categories", "channels", "statuses", "kecamatan", "sla-tiers")],
    ("GET", "/opd/DPUPR/admins", None, {**admin_only(), "opd_own": 200}),
    ("POST", "/opd", lambda: {"code": uniq("X"), "name": "Kantor Baru"}, admin_only(201)),
    ("PATCH", "/opd/DPUPR", lambda: {"head_name": "Ir. Budi"}, admin_only()),
    ("POST", "/opd/DPUPR/admins", lambda: {"name": "Sari", "whatsapp": "6281234567890"}, admin_only(201)),
    ("POST", "/categories", lambda: {"code": uniq("CAT"), "name": "Baru", "parent_code": "INFRA"}, admin_only(201)),
    ("PATCH", "/categories/INFRA-PJU", lambda: {"default_opd_code": "DPUPR"}, admin_only()),
    ("POST", "/sla-tiers", lambda: {"code": uniq("t"), "name": "Kilat", "resolution_days": 2}, admin_only(201)),
    ("PATCH", "/sla-tiers/cepat", lambda: {"resolution_days": 5}, admin_only()),
    ("GET", "/users", None, admin_only()),
    ("POST", "/users", lambda: {"username": uniq("u"), "name": "Budi", "role": "viewer",
                                "password": "panjang-sekali-1"}, admin_only(201)),
    ("GET", "/users/budi.tetap", None, admin_only()),
    ("PATCH", "/users/budi.tetap", lambda: {"name": "Budi Santoso"}, admin_only()),
    ("POST", "/users/budi.tetap/password", None, admin_only()),
    ("GET", "/keys", None, admin_only()),
    ("POST", "/keys", lambda: {"name": uniq("mesin"), "role": "analyst"}, admin_only(201)),
    ("POST", "/keys/display", lambda: {"name": uniq("TV ")}, admin_only(201)),
    ("GET", "/audit", None, admin_only()),
    ("PUT", "/audit", lambda: {}, public(405)),
    ("DELETE", "/audit", None, public(405)),
    ("POST", "/auth/password", lambda: {"current_password": "salah-sekali-1", "new_password": "baru-sekali-12"},
     {"none": 401, **dict.fromkeys(KEYED, "user:401|key:400")}),
    ("GET", "/open311/v2/discovery.json", None, public()),
    ("GET", "/open311/v2/services.json", None, public()),
    ("GET", "/open311/v2/requests.json", None, public()),
    ("GET", "/open311/v2/requests/{code}.json", None, public()),
]


CREDENTIALS = {"viewer": ("viewer", None), "analyst": ("analyst", None), "petugas": ("petugas", None),
               "opd_other": ("opd_admin", "DINKES"), "opd_own": ("opd_admin", "DPUPR"), "admin": ("admin", None)}


@pytest.fixture(params=["key", "user"])
def keys(request, client, key_for, login_for, user_for):
    """Headers per role column: API keys, or bearer tokens of logged-in users."""
    user_for("viewer", username="budi.tetap")
    make = key_for if request.param == "key" else login_for
    return {"none": {}, **{column: make(role, opd) for column, (role, opd) in CREDENTIALS.items()},
            "_kind": request.param}


def test_role_matrix(client, session, keys):
    shared = fresh_complaint(session)
    add_complaint(session, "google_reviews", "g1", rating=2)
    failures = []
    for method, template, body, expected in MATRIX:
        for role in ROLES:
            want = expected[role]
            if isinstance(want, str):  # differs between keys and users: "user:401|key:400"
                want = int(dict(part.split(":") for part in want.split("|"))[keys["_kind"]])
            path = template.format(id=shared.id, code=shared.tracking_code,
                                   fresh=fresh_complaint(session).id if "{fresh}" in template else "",
                                   queued=queued_complaint(session).id if "{queued}" in template else "")
            url = path if path.startswith("/open311") else API + path
            r = client.request(method, url, headers=keys[role], json=body() if body else None)
            if r.status_code != want:
                failures.append(f"{method} {template} as {role}: {r.status_code} != {want} {r.text[:120]}")
    assert not failures, "\n".join(failures)


def test_open311_post_needs_a_key_of_a_role_that_files_complaints(client, key_for):
    """Open311 clients are machines with an API key of the roles of manual entry; never a viewer key (nor a
    wall display token, which travels in URLs)."""
    keys = {"none": {}, **{column: key_for(role, opd) for column, (role, opd) in CREDENTIALS.items()}}
    form = {"service_code": "INFRA-PJU", "description": "Lampu mati", "address_string": "Jl. Merdeka"}
    for role in ROLES:
        r = client.post("/open311/v2/requests.json", data=form, headers=keys[role])
        assert r.status_code == (403 if role in ("none", "viewer") else 201), (role, r.text)


def secret_complaint(session):
    return add_complaint(session, external_id="secret", rahasia=True, anonim=False, title="Pungli di kantor desa",
                         body="Kepala desa meminta uang", reporter_name="Siti", reporter_contact="0812555",
                         location_text="Kantor Desa Gogodeso", lat=-8.13, lon=112.21, status="dispatched",
                         opd_code="DPUPR")


def seen_as(client, keys, role, complaint_id):
    listed = client.get(f"{API}/complaints", headers=keys[role]).json()["items"]
    detail = client.get(f"{API}/complaints/{complaint_id}", headers=keys[role]).json()
    return next(i for i in listed if i["id"] == complaint_id), detail


def test_masking_per_role(client, session, keys):
    c = secret_complaint(session)
    assert client.get(f"{API}/complaints/{c.id}", headers=keys["viewer"]).status_code == 403
    for role in ("analyst", "opd_own"):
        for shown in seen_as(client, keys, role, c.id):
            assert shown["body"] == "Kepala desa meminta uang"
            assert shown["reporter_name"] == "Siti" and shown["reporter_contact"] is None
    for shown in seen_as(client, keys, "admin", c.id):
        assert shown["reporter_contact"] == "0812555"


def test_anonymous_reporters_are_hidden_from_all_but_admins(client, session, keys):
    c = add_complaint(session, external_id="anon", anonim=True, reporter_name="Joko", reporter_contact="0813",
                      opd_code="DPUPR")
    for role in ("analyst", "opd_own"):
        listed, detail = seen_as(client, keys, role, c.id)
        assert listed["reporter_name"] is None and detail["reporter_name"] is None
    listed, _ = seen_as(client, keys, "admin", c.id)
    assert listed["reporter_name"] == "Joko"
    csv_text = client.get(f"{API}/export/complaints.csv", headers=keys["analyst"]).content.decode("utf-8-sig")
    assert "Joko" not in csv_text and "0813" not in csv_text


def test_confidential_content_never_leaves_through_viewer_or_public_outputs(client, session, keys):
    c = secret_complaint(session)
    leaks = []
    urls = [f"{API}/complaints", f"{API}/complaints/{c.id}", f"{API}/complaints?q=pungli",
            f"{API}/export/complaints.csv"]
    for url in urls:
        text = client.get(url, headers=keys["viewer"]).content.decode("utf-8-sig")
        leaks += [url for word in ("Pungli", "meminta uang", "Siti", "0812555") if word in text]
    text = client.get("/open311/v2/requests.json").text
    leaks += [word for word in ("Pungli", "meminta uang", "Siti", c.tracking_code) if word in text]
    single = client.get(f"/open311/v2/requests/{c.tracking_code}.json")
    assert single.status_code == 404 and "Pungli" not in single.text
    assert not leaks
