"""Log-in failure counters shared by every API process, each changed by one atomic statement.

Several API processes (`aduan serve --workers N`) answer log-ins side by side, so no count may live in a process's
memory, and a read-then-write would lose counts when two wrong passwords arrive together. Every change here is a
single UPDATE or UPSERT (`INSERT … ON CONFLICT DO UPDATE … RETURNING`) whose new value is computed from the row as
the database holds it: PostgreSQL takes the row lock and re-reads the row, SQLite has one writer at a time.

- an account: `app_user.failed_logins` / `locked_until` (`record_account_failure`, `clear_account_failures`);
- a name no account has: the row `name:<username>`, locking exactly like an account, so no answer tells which
  usernames exist (`record_name_failure`);
- an address: the row `ip:<address>`, failed log-ins in a fixed window (`hit_address`, `refund_address`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, literal, or_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from models import LoginThrottle, User
from models.types import UTCDateTime

T = LoginThrottle


def _at(moment: datetime):
    return literal(moment, UTCDateTime())


def _locked(column, now: datetime):
    return and_(column.is_not(None), column > _at(now))


def record_account_failure(session: Session, user_id: int, now: datetime, max_failures: int,
                           lockout: timedelta) -> datetime | None:
    """Count one wrong password; the lock-out's end when the account is locked (by this failure or already)."""
    reaches = User.failed_logins + 1 >= max_failures
    row = session.exec(update(User).where(User.id == user_id).values(
        failed_logins=case((_locked(User.locked_until, now), User.failed_logins), (reaches, 0),
                           else_=User.failed_logins + 1),
        locked_until=case((_locked(User.locked_until, now), User.locked_until), (reaches, _at(now + lockout)),
                          else_=User.locked_until),
    ).returning(User.locked_until)).first()
    session.commit()
    until = row[0] if row else None
    return until if until is not None and until > now else None


def clear_account_failures(session: Session, user_id: int, now: datetime, **values) -> bool:
    """A right password: clear the count, unless the account was locked meanwhile (then False, nothing changes)."""
    done = session.exec(update(User).where(User.id == user_id, ~_locked(User.locked_until, now)).values(
        failed_logins=0, locked_until=None, **values))
    session.commit()
    return done.rowcount == 1


def _upsert(session: Session, values: dict, on_conflict: dict):
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(T)
    statement = insert.values(**values).on_conflict_do_update(index_elements=[T.key], set_=on_conflict)
    return statement.returning(T.failures, T.window_start, T.locked_until)


def name_locked_until(session: Session, username: str, now: datetime) -> datetime | None:
    until = session.exec(select(T.locked_until).where(T.key == name_key(username))).first()
    return until if until is not None and until > now else None


def name_key(username: str) -> str:
    return f"name:{username.strip().lower()}"[:200]


def record_name_failure(session: Session, username: str, now: datetime, max_failures: int,
                        lockout: timedelta) -> datetime | None:
    """As `record_account_failure`, for a name no account has."""
    first_locks = max_failures <= 1
    reaches = T.failures + 1 >= max_failures
    locked = _locked(T.locked_until, now)
    row = session.exec(_upsert(
        session,
        dict(key=name_key(username), failures=0 if first_locks else 1, window_start=now, updated_at=now,
             locked_until=now + lockout if first_locks else None),
        dict(failures=case((locked, T.failures), (reaches, 0), else_=T.failures + 1),
             locked_until=case((locked, T.locked_until), (reaches, _at(now + lockout)), else_=T.locked_until),
             updated_at=_at(now)),
    )).first()
    session.commit()
    until = row[2]
    return until if until is not None and until > now else None


def hit_address(session: Session, address: str, now: datetime, window: timedelta) -> tuple[int, datetime]:
    """Count one log-in attempt from `address` before it is checked (a success gives it back with
    `refund_address`); returns the attempts in the current window and when that window ends."""
    expired = T.window_start <= _at(now - window)
    row = session.exec(_upsert(
        session,
        dict(key=f"ip:{address}"[:200], failures=1, window_start=now, updated_at=now),
        dict(failures=case((expired, 1), else_=T.failures + 1), window_start=case((expired, _at(now)),
                                                                                   else_=T.window_start),
             updated_at=_at(now)),
    )).first()
    session.commit()
    return row[0], row[1] + window


def refund_address(session: Session, address: str) -> None:
    session.exec(update(T).where(T.key == f"ip:{address}"[:200], T.failures > 0).values(failures=T.failures - 1))
    session.commit()


def prune(session: Session, now: datetime, keep: timedelta) -> int:
    """Forget counters untouched for `keep` whose lock-out (if any) is over; the worker calls this."""
    done = session.exec(delete(T).where(T.updated_at < now - keep,
                                        or_(T.locked_until.is_(None), T.locked_until <= now)))
    session.commit()
    return done.rowcount
