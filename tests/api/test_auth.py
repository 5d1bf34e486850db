"""Log-in as a person sees it: tokens that work, expire, can't be forged, and end when they should."""

import logging
import re
from datetime import timedelta

import jwt
import pytest
from sqlmodel import select

from core.identity import audit, users
from core.identity.tokens import ALGORITHM, ISSUER, signing_secret
from models import LoginSession, User
from models.types import utcnow
from tests.api.conftest import PASSWORD

LOGIN = "/api/v1/auth/login"


def log_in(client, username, password=PASSWORD):
    return client.post(LOGIN, json={"username": username, "password": password})


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_log_in_gives_tokens_that_open_the_api(client, user_for):
    user_for("analyst", username="rina", name="Rina Kominfo")
    r = log_in(client, "Rina ")  # usernames are trimmed and case-insensitive
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 15 * 60
    assert body["user"] == {"username": "rina", "name": "Rina Kominfo", "role": "analyst", "opd_code": None}
    assert client.get("/api/v1/complaints", headers=bearer(body["access_token"])).status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_answer(client, user_for):
    user_for("viewer", username="dodi")
    wrong, unknown = log_in(client, "dodi", "bukan-ini-123"), log_in(client, "siapa", "bukan-ini-123")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json() == {"detail": "nama pengguna atau kata sandi salah"}


def test_five_wrong_passwords_lock_the_account_for_a_while(client, session, user_for, settings):
    user = user_for("opd_admin", "DPUPR", username="sari")
    answers = [log_in(client, "sari", f"tebakan-{i}").status_code for i in range(5)]
    assert answers == [401, 401, 401, 401, 423]
    locked = log_in(client, "sari")  # even the right password is refused while locked
    assert locked.status_code == 423
    assert "terkunci" in locked.json()["detail"] and int(locked.headers["Retry-After"]) > 60
    session.refresh(user)
    user.locked_until = utcnow() - timedelta(seconds=1)  # the lock-out has passed
    session.add(user)
    session.commit()
    assert log_in(client, "sari").status_code == 200


def test_many_failures_from_one_address_are_throttled(client, user_for):
    for i in range(30):
        log_in(client, f"tebak{i}", "bukan-ini-123")
    user_for("analyst", username="budi")
    throttled = log_in(client, "budi")
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers


def test_disabled_account_can_not_log_in_and_its_tokens_stop(client, session, user_for, login_for):
    headers = login_for("analyst", username="tono")
    admin = login_for("admin")
    assert client.patch("/api/v1/users/tono", json={"active": False}, headers=admin).status_code == 200
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    r = log_in(client, "tono")
    assert r.status_code == 403 and "dinonaktifkan" in r.json()["detail"]


def test_expired_and_forged_tokens_are_401(client, session, settings, user_for):
    user_for("admin", username="adm")
    good = log_in(client, "adm").json()["access_token"]
    claims = jwt.decode(good, options={"verify_signature": False})
    secret = signing_secret(session, settings)
    expired = jwt.encode({**claims, "exp": utcnow() - timedelta(minutes=1)}, secret, algorithm=ALGORITHM)
    forged = jwt.encode(claims, "someone-elses-secret-that-is-long-enough", algorithm=ALGORITHM)
    none_alg = jwt.encode(claims, None, algorithm="none") if "none" in jwt.algorithms.get_default_algorithms() \
        else good[:-4] + "abcd"
    other_issuer = jwt.encode({**claims, "iss": "elsewhere"}, secret, algorithm=ALGORITHM)
    tampered = good.split(".")
    tampered[1] = jwt.utils.base64url_encode(b'{"sub":"1","sid":1,"ver":1,"role":"admin","exp":9999999999,'
                                             b'"iss":"' + ISSUER.encode() + b'"}').decode()
    for token, why in [(expired, "kedaluwarsa"), (forged, "tidak sah"), (none_alg, "tidak sah"),
                       (other_issuer, "tidak sah"), (".".join(tampered), "tidak sah"), ("garbage", "tidak sah")]:
        r = client.get("/api/v1/me", headers=bearer(token))
        assert r.status_code == 401 and why in r.json()["detail"], (why, r.text)
        assert r.headers["WWW-Authenticate"] == "Bearer"
    assert client.get("/api/v1/me", headers=bearer(good)).status_code == 200


def test_refresh_gives_a_new_access_token_until_log_out(client, session, user_for):
    user_for("analyst", username="wati")
    first = log_in(client, "wati").json()
    refreshed = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200
    again = refreshed.json()["access_token"]
    assert again != first["access_token"] and client.get("/api/v1/me", headers=bearer(again)).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=bearer(again)).status_code == 204
    for token in (first["access_token"], again):
        assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 401 and "keluar" in r.json()["detail"]
    assert client.post("/api/v1/auth/refresh", json={"refresh_token": "adr_nope"}).status_code == 401


def test_expired_log_in_can_not_be_refreshed(client, session, user_for):
    user_for("analyst", username="yuni")
    tokens = log_in(client, "yuni").json()
    login = session.exec(select(LoginSession)).one()
    login.expires_at = utcnow() - timedelta(seconds=1)
    session.add(login)
    session.commit()
    r = client.post("/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert r.status_code == 401 and "kedaluwarsa" in r.json()["detail"]


def test_role_change_ends_open_log_ins(client, session, user_for, login_for):
    headers = login_for("analyst", username="eko")
    admin = login_for("admin")
    r = client.patch("/api/v1/users/eko", json={"role": "opd_admin", "opd": "DINKES"}, headers=admin)
    assert r.status_code == 200 and r.json()["opd_code"] == "DINKES"
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert log_in(client, "eko").json()["user"]["opd_code"] == "DINKES"


def test_change_own_password(client, session, user_for):
    user_for("viewer", username="lina")
    token = log_in(client, "lina").json()["access_token"]
    url = "/api/v1/auth/password"
    wrong = client.post(url, json={"current_password": "salah-salah-1", "new_password": "baru-sekali-123"},
                        headers=bearer(token))
    assert wrong.status_code == 401
    weak = client.post(url, json={"current_password": PASSWORD, "new_password": "pendek"}, headers=bearer(token))
    assert weak.status_code == 422 and weak.json()["detail"][0]["loc"] == ["body", "new_password"]
    ok = client.post(url, json={"current_password": PASSWORD, "new_password": "baru-sekali-123"},
                     headers=bearer(token))
    assert ok.status_code == 204
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401  # log in again
    assert log_in(client, "lina").status_code == 401
    assert log_in(client, "lina", "baru-sekali-123").status_code == 200


def test_passwords_are_hashed_with_argon2_and_never_logged(client, session, user_for, caplog):
    user_for("analyst", username="agus")
    caplog.set_level(logging.DEBUG)
    log_in(client, "agus", "Tebakan-Rahasia-Saya-99")
    log_in(client, "agus")
    assert "Tebakan-Rahasia-Saya-99" not in caplog.text and PASSWORD not in caplog.text
    stored = session.exec(select(User).where(User.username == "agus")).one().password_hash
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_display_token_is_read_only_and_expires(client, session, login_for):
    admin = login_for("admin")
    made = client.post("/api/v1/keys/display", json={"name": "TV Pendopo", "valid_days": 30}, headers=admin)
    assert made.status_code == 201
    body = made.json()
    assert body["role"] == "viewer" and body["name"] == "Layar: TV Pendopo" and body["expires_at"]
    tv = bearer(body["secret"])
    assert client.get("/api/v1/stats/summary", headers=tv).status_code == 200
    assert client.get("/api/v1/complaints", headers=tv).status_code == 403
    assert client.post("/api/v1/opd", json={"code": "X1", "name": "X"}, headers=tv).status_code == 403
    from models import ApiKey

    key = session.get(ApiKey, body["id"])
    key.expires_at = utcnow() - timedelta(minutes=1)
    session.add(key)
    session.commit()
    assert client.get("/api/v1/stats/summary", headers=tv).status_code == 401


@pytest.mark.parametrize("claim, value", [("sub", "abc"), ("sub", "1.5"), ("sub", ["1"]), ("sub", "-1"),
                                          ("sub", "99999999999999999999999"), ("sub", "2147483648"),
                                          ("sid", "abc"), ("sid", 99999999999999999999999), ("sid", [1]),
                                          ("sid", 1.5), ("ver", "x")])
def test_a_validly_signed_token_with_claims_that_name_no_row_is_401(client, session, settings, user_for, claim,
                                                                       value):
    user_for("admin", username="adm")
    good = log_in(client, "adm").json()["access_token"]
    claims = jwt.decode(good, options={"verify_signature": False})
    odd = jwt.encode({**claims, claim: value}, signing_secret(session, settings), algorithm=ALGORITHM)
    r = client.get("/api/v1/me", headers=bearer(odd))
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer", r.text
    assert client.get("/api/v1/me", headers=bearer(good)).status_code == 200


def _minutes_masked(detail: str) -> str:
    return re.sub(r"\d\d[:.]\d\d", "HH:MM", detail)


def test_an_unknown_username_locks_like_a_real_account_which_stays_locked(client, session, user_for):
    sari = user_for("analyst", username="sari")
    real = [log_in(client, "sari", f"tebakan-{i}") for i in range(6)]
    unknown = [log_in(client, "siapa", f"tebakan-{i}") for i in range(6)]
    assert [r.status_code for r in real] == [r.status_code for r in unknown] == [401, 401, 401, 401, 423, 423]
    for a, b in zip(real, unknown, strict=True):
        assert _minutes_masked(a.json()["detail"]) == _minutes_masked(b.json()["detail"])
        assert ("Retry-After" in a.headers) == ("Retry-After" in b.headers)
    assert "terkunci" in unknown[-1].json()["detail"] and int(unknown[-1].headers["Retry-After"]) > 60
    assert log_in(client, "sari").status_code == 423  # the real account is locked, even to the right password
    session.refresh(sari)
    assert sari.locked_until > utcnow()
    assert session.exec(select(User).where(User.username == "siapa")).first() is None  # no account made


def test_an_unknown_username_counts_again_after_its_lock_out_has_passed(client, session, settings):
    actor = users.login_actor("Siapa ")
    audit.record(session.get_bind(), actor=actor, action=users.LOGIN_ACTION, outcome="denied", status_code=423,
                 message=f"locked until {(utcnow() - timedelta(seconds=1)).isoformat()}")  # a lock-out that ended
    answers = [log_in(client, "siapa", f"tebakan-{i}").status_code for i in range(settings.login_max_failures)]
    assert answers == [401] * (settings.login_max_failures - 1) + [423]
