"""Who may sign in: staff accounts (argon2 password hashes), citizens' one-time codes, rate limits.

Nothing personal is stored in clear: phone numbers and usernames in rate buckets are keyed HMACs,
one-time codes are HMACs bound to the phone, passwords are argon2id hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ledger import phone as ledger_phone
from ledger.errors import PhoneInvalid
from web.errors import BadInput, RateLimited, SignInFailed
from web.roles import STAFF_ROLES, Role
from web.store import SqlStore

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
MIN_PASSWORD_LENGTH = 10


def normalise_phone(raw: str) -> str:
    """A Vietnamese mobile number in its national form 0XXXXXXXXX (ledger.phone, the one normaliser), or BadInput."""
    try:
        return ledger_phone.normalise_phone(raw or "")
    except PhoneInvalid:
        raise BadInput("not a Vietnamese mobile number", key="error.phone_invalid") from None


def mask_phone(phone: str) -> str:
    """Only the last three digits: enough for a person to recognise their number, nothing for a log."""
    return "*" * max(0, len(phone) - 3) + phone[-3:]


def staff_session_account(username: str) -> str:
    """The session-version key of a staff account."""
    return "staff:" + username


def citizen_session_account(phone_key: str) -> str:
    """The session-version key of a citizen's phone (the keyed hash, never the number)."""
    return "citizen:" + phone_key


@dataclass(frozen=True)
class StaffAccount:
    username: str
    role: Role
    site_id: str
    province_code: str


class Accounts:
    """Staff accounts, one-time codes and rate limits over the web_ tables."""

    def __init__(
        self,
        store: SqlStore,
        secret: str,
        *,
        otp_ttl: int = 300,
        otp_attempts: int = 5,
        hasher: PasswordHasher | None = None,
        user_backoff: tuple[int, int] = (5, 900),
        client_backoff: tuple[int, int] = (20, 3600),
        session_check_seconds: float = 0.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        #: (free failures, longest wait in seconds) per staff account and per client address
        self.user_backoff = user_backoff
        self.client_backoff = client_backoff
        self.store = store
        self._secret = secret.encode("utf-8")
        self._hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 parameters by default
        self.otp_ttl = otp_ttl
        self.otp_attempts = otp_attempts
        self._dummy: str | None = None
        #: How long this process trusts a session version it read (`session_is_current`); 0: never.
        self.session_check_seconds = session_check_seconds
        self.monotonic = monotonic
        self._versions: dict[str, tuple[int, float]] = {}  # account -> (version, read at)

    @property
    def _dummy_hash(self) -> str:
        """A hash to verify against when the username is unknown, so timing does not reveal accounts."""
        if self._dummy is None:
            self._dummy = self._hasher.hash(secrets.token_urlsafe(16))
        return self._dummy

    # keyed hashes -------------------------------------------------------------------------------
    def key_for(self, purpose: str, value: str) -> str:
        """A keyed, non-reversible handle for a phone number or username (for tables and rate buckets)."""
        return hmac.new(self._secret, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()

    # staff ----------------------------------------------------------------------------------------
    def add_staff(
        self,
        username: str,
        password: str,
        role: Role,
        *,
        site_id: str = "",
        province_code: str = "",
        now: datetime | None = None,
        replace: bool = False,
    ) -> StaffAccount:
        """Create (or with replace=True reset) a staff account; checks every field first."""
        username = (username or "").strip().lower()
        if not USERNAME_PATTERN.match(username):
            raise BadInput(
                "a username is 3 to 40 characters: lower-case letters, digits, '.', '_' or '-'",
                key="error.username_invalid",
            )
        if role not in STAFF_ROLES:
            raise BadInput(
                f"role must be one of {', '.join(sorted(r.value for r in STAFF_ROLES))}",
                key="error.role_invalid",
            )
        if len(password or "") < MIN_PASSWORD_LENGTH:
            raise BadInput(
                f"a password needs at least {MIN_PASSWORD_LENGTH} characters", key="error.password_short"
            )
        if role is Role.STAFF and not site_id:
            raise BadInput("site staff need a site: give --site SITE_ID", key="error.site_required")
        if role is Role.PROVINCE and not province_code:
            raise BadInput(
                "a province officer needs a province: give --province CODE", key="error.province_required"
            )
        created = (now or datetime.now(UTC)).isoformat()
        password_hash = self._hasher.hash(password)
        if replace:
            self.store.execute("DELETE FROM web_accounts WHERE username = ?", (username,))
            self.revoke_sessions(staff_session_account(username))  # new password or role: sign in again
        elif self.store.query("SELECT 1 FROM web_accounts WHERE username = ?", (username,)):
            raise BadInput(f"the username {username!r} is taken", key="error.username_taken")
        self.store.execute(
            "INSERT INTO web_accounts (username, password_hash, role, site_id, province_code, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (username, password_hash, role.value, site_id, province_code, created),
        )
        return StaffAccount(username, role, site_id, province_code)

    def list_staff(self) -> list[StaffAccount]:
        rows = self.store.query(
            "SELECT username, role, site_id, province_code FROM web_accounts ORDER BY username"
        )
        return [StaffAccount(r[0], Role(r[1]), r[2], r[3]) for r in rows]

    def staff_count(self) -> int:
        return int(self.store.query("SELECT COUNT(*) FROM web_accounts")[0][0])

    def authenticate(self, username: str, password: str) -> StaffAccount:
        """The account for this username and password, or SignInFailed (same message either way)."""
        username = (username or "").strip().lower()
        rows = self.store.query(
            "SELECT password_hash, role, site_id, province_code FROM web_accounts WHERE username = ?",
            (username,),
        )
        stored = rows[0][0] if rows else self._dummy_hash
        try:
            self._hasher.verify(stored, password or "")
        except (VerifyMismatchError, VerificationError, InvalidHashError) as exc:
            raise SignInFailed("wrong username or password") from exc
        if not rows:
            raise SignInFailed("wrong username or password")
        if self._hasher.check_needs_rehash(stored):
            self.store.execute(
                "UPDATE web_accounts SET password_hash = ? WHERE username = ?",
                (self._hasher.hash(password), username),
            )
        return StaffAccount(username, Role(rows[0][1]), rows[0][2], rows[0][3])

    # session versions ---------------------------------------------------------------------------------
    def session_version(self, account: str) -> int:
        """The account's current session version, read now (a sign-in stamps it into the session): a
        session stamped with another one is revoked."""
        rows = self.store.query("SELECT version FROM web_sessions WHERE account = ?", (account,))
        version = int(rows[0][0]) if rows else 0
        self._remember(account, version)
        return version

    def session_is_current(self, account: str, stamped: int) -> bool:
        """Whether a session stamped with `stamped` is still this account's (checked on every request).

        The version read last is trusted for `session_check_seconds` (one statement per account and
        interval instead of one per request). So a revocation made by this process (sign-out,
        password, role or phone change) holds here at once, and one made by another process (another
        worker, the CLI) everywhere within `session_check_seconds`: that is the bound. A stamp that
        differs from the remembered version is read again before it is refused (a session signed in
        through another worker a moment ago carries the newer version)."""
        known = self._versions.get(account)
        if (
            known is not None
            and known[0] == stamped
            and self.monotonic() - known[1] < self.session_check_seconds
        ):
            return True
        return self.session_version(account) == stamped

    def _remember(self, account: str, version: int) -> None:
        if self.session_check_seconds <= 0:
            return
        if len(self._versions) >= SESSION_VERSIONS_KEPT:
            self._versions.clear()  # a bound on memory: each account is read again once
        self._versions[account] = (version, self.monotonic())

    def revoke_sessions(self, account: str) -> int:
        """Revoke every session of this account signed in so far (sign-out, password/role/phone change)."""
        rows = self.store.query(
            "INSERT INTO web_sessions (account, version) VALUES (?, 1)"
            " ON CONFLICT (account) DO UPDATE SET version = web_sessions.version + 1 RETURNING version",
            (account,),
        )
        version = int(rows[0][0])
        self._remember(account, version)  # refused here at once
        return version

    # one-time codes ---------------------------------------------------------------------------------
    def _code_hash(self, phone_key: str, code: str) -> str:
        return hmac.new(self._secret, f"otp\x00{phone_key}\x00{code}".encode(), hashlib.sha256).hexdigest()

    def issue_code(self, phone: str, now: float, *, code: str | None = None) -> str:
        """A fresh 6-digit code for this phone (replacing any earlier one); only its HMAC is stored."""
        code = code if code is not None else f"{secrets.randbelow(1_000_000):06d}"
        key = self.key_for("phone", phone)
        self.store.execute("DELETE FROM web_otp WHERE phone_key = ? OR expires_at < ?", (key, now - 3600))
        self.store.execute(
            "INSERT INTO web_otp (phone_key, code_hash, expires_at, attempts) VALUES (?, ?, ?, 0)",
            (key, self._code_hash(key, code), now + self.otp_ttl),
        )
        return code

    def check_code(self, phone: str, code: str, now: float) -> None:
        """Accept the code once, or raise: wrong, expired, or too many attempts (the code is then void).

        The attempt is counted by a conditional UPDATE *before* the code is compared, so concurrent
        guesses cannot all read the same count: each one that is compared owns one of the
        `otp_attempts` slots, the database deciding who (issue 12, item 3). A right code is used by
        a DELETE that only one of several concurrent requests can win.
        """
        key = self.key_for("phone", phone)
        # RETURNING gives the count this very UPDATE wrote (a later SELECT could see a neighbour's).
        counted = self.store.query(
            "UPDATE web_otp SET attempts = attempts + 1"
            " WHERE phone_key = ? AND attempts < ? AND expires_at >= ?"
            " RETURNING code_hash, attempts",
            (key, self.otp_attempts, now),
        )
        if not counted:
            rows = self.store.query("SELECT expires_at FROM web_otp WHERE phone_key = ?", (key,))
            if not rows:
                raise SignInFailed(
                    "no code was sent to this number, or it was used", key="error.code_missing"
                )
            # Only an expired code is cleared here. A code at its attempt limit may still be in use by
            # a concurrent attempt that was counted (the right code, about to be spent by its own
            # DELETE); deleting it here made that one fail too. The counted path deletes it at the limit.
            self.store.execute("DELETE FROM web_otp WHERE phone_key = ? AND expires_at < ?", (key, now))
            if now > float(rows[0][0]):
                raise SignInFailed("the code has expired: ask for a new one", key="error.code_expired")
            raise RateLimited("too many wrong codes: ask for a new one", key="error.code_attempts")
        code_hash, attempts = counted[0]
        candidate = self._code_hash(key, re.sub(r"\s", "", code or ""))
        if hmac.compare_digest(candidate, str(code_hash)):
            used = self.store.execute(
                "DELETE FROM web_otp WHERE phone_key = ? AND code_hash = ?", (key, str(code_hash))
            )
            if used != 1:
                raise SignInFailed(
                    "no code was sent to this number, or it was used", key="error.code_missing"
                )
            return
        if int(attempts) >= self.otp_attempts:
            self.store.execute(
                "DELETE FROM web_otp WHERE phone_key = ? AND code_hash = ?", (key, str(code_hash))
            )
            raise RateLimited("too many wrong codes: ask for a new one", key="error.code_attempts")
        raise SignInFailed("the code is not right", key="error.code_wrong")

    # rate limits ----------------------------------------------------------------------------------------
    def hit(self, bucket: str, limit: int, window: int, now: float) -> None:
        """Count one attempt in `bucket`; RateLimited when more than `limit` fall within `window` seconds."""
        self.store.execute("DELETE FROM web_rate WHERE bucket = ? AND at < ?", (bucket, now - window))
        self.store.execute("DELETE FROM web_rate WHERE at < ?", (now - 86_400,))  # nothing counts for a day
        count, oldest = self.store.query(
            "SELECT COUNT(*), MIN(at) FROM web_rate WHERE bucket = ?", (bucket,)
        )[0]
        if int(count) >= limit:
            # How long until the oldest attempt leaves the window, in whole minutes ("a few minutes" left
            # a citizen guessing: the code limit is 3 per 15 minutes).
            minutes = max(1, math.ceil((float(oldest) + window - now) / 60))
            raise RateLimited(
                f"too many attempts: wait {minutes} minutes and try again",
                key="error.rate_limited_minutes",
                minutes=minutes,
            )
        self.store.execute("INSERT INTO web_rate (bucket, at) VALUES (?, ?)", (bucket, now))

    # sign-in failures: exponential backoff ---------------------------------------------------------
    def failure_wait(self, bucket: str, free: int, cap: int, now: float) -> int:
        """Seconds this bucket must still wait before its next password is checked (0: go ahead)."""
        rows = self.store.query("SELECT blocked_until FROM web_signin_failures WHERE bucket = ?", (bucket,))
        return max(0, math.ceil(float(rows[0][0]) - now)) if rows else 0

    def record_failure(self, bucket: str, free: int, cap: int, now: float) -> int:
        """Count one failure; past `free` failures the wait doubles from 2 s up to `cap` s. Returns it.

        Failures are forgotten a day after the last one. The count is one atomic upsert, so
        concurrent failures are all counted.
        """
        rows = self.store.query(
            "INSERT INTO web_signin_failures (bucket, failures, last_at, blocked_until) VALUES (?, 1, ?, 0)"
            " ON CONFLICT (bucket) DO UPDATE SET failures = CASE WHEN web_signin_failures.last_at < ?"
            " THEN 1 ELSE web_signin_failures.failures + 1 END, last_at = excluded.last_at"
            " RETURNING failures",
            (bucket, now, now - FAILURES_FORGOTTEN_AFTER),
        )
        failures = int(rows[0][0])
        if failures <= free:
            return 0
        wait = int(min(cap, 2 ** min(failures - free, 30)))
        self.store.execute(
            "UPDATE web_signin_failures SET blocked_until = ? WHERE bucket = ? AND blocked_until < ?",
            (now + wait, bucket, now + wait),
        )
        return wait

    def clear_failures(self, bucket: str) -> None:
        self.store.execute("DELETE FROM web_signin_failures WHERE bucket = ?", (bucket,))

    def signin_buckets(self, username: str, client: str) -> tuple[str, str]:
        """The account's and the address's failure buckets (keyed hashes: no username or address stored)."""
        return (
            "signin-user:" + self.key_for("user", (username or "").strip().lower()),
            "signin-client:" + self.key_for("client", client),
        )

    def signin_wait(self, username: str, client: str, now: float) -> int:
        """Seconds before a password for this account from this address will be checked again."""
        user, address = self.signin_buckets(username, client)
        return max(
            self.failure_wait(user, *self.user_backoff, now),
            self.failure_wait(address, *self.client_backoff, now),
        )

    def sign_in(self, username: str, password: str, *, client: str, now: float) -> StaffAccount:
        """Authenticate with backoff: only failures count, per account and per address (issue 12, item 9).

        While a wait is running no password is checked (RateLimited says how long); a success clears
        the account's failures (not the address's: an attacker may own one account).
        """
        user, address = self.signin_buckets(username, client)
        wait = self.signin_wait(username, client, now)
        if wait:
            raise wait_error(wait)
        try:
            account = self.authenticate(username, password)
        except SignInFailed:
            self.record_failure(user, *self.user_backoff, now)
            self.record_failure(address, *self.client_backoff, now)
            raise
        self.clear_failures(user)
        return account


FAILURES_FORGOTTEN_AFTER = 86_400
SESSION_VERSIONS_KEPT = 100_000  # accounts whose session version one process remembers at most


def wait_error(seconds: int) -> RateLimited:
    """RateLimited that tells the person how long to wait, in seconds or whole minutes."""
    if seconds < 120:
        return RateLimited(
            f"too many failed sign-ins: wait {seconds} seconds",
            key="error.signin_wait_seconds",
            seconds=seconds,
        )
    minutes = math.ceil(seconds / 60)
    return RateLimited(
        f"too many failed sign-ins: wait {minutes} minutes", key="error.signin_wait_minutes", minutes=minutes
    )
