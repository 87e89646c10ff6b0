"""Sign-in use cases shared by the pages and the JSON API (the views only translate HTTP)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from flask import current_app, session

from web.accounts import mask_phone, normalise_phone
from web.context import ctx
from web.errors import BadInput, NotFound
from web.i18n import translate
from web.outbox import Message
from web.roles import SESSION_VERSION, Principal, Role, session_account

HOME_BY_ROLE = {
    Role.CITIZEN: "citizen.home",
    Role.STAFF: "staff.desk",
    Role.PROVINCE: "province.overview",
    Role.RESPONSE: "operations.dashboard",
    Role.AUDITOR: "audit.overview",
}


def _fernet() -> Fernet:
    digest = hashlib.sha256(
        b"immunize session phone\x00" + current_app.config["SECRET_KEY"].encode()
    ).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def seal(phone: str) -> str:
    """The phone number encrypted for the session cookie (signed is not secret: this is)."""
    return _fernet().encrypt(phone.encode()).decode("ascii")


def unseal(token: object) -> str | None:
    """The phone number of a sealed session value, or None if it is missing or was tampered with."""
    if not isinstance(token, str):
        return None
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        return None


def session_phone() -> str:
    """The signed-in citizen's phone number (NotFound if the session has none)."""
    phone = unseal(session.get("phone"))
    if phone is None:
        raise NotFound("the session has no phone: sign in again", key="error.signin_required")
    return phone


def _now() -> float:
    return ctx().clock().timestamp()


def _limit(bucket: str, setting: str) -> None:
    limit, window = current_app.config[setting]
    ctx().accounts.hit(bucket, int(limit), int(window), _now())


def limit_registrations(phone: str) -> None:
    """Registrations from one signed-in phone are rate-limited (no probing or hoarding of IDs)."""
    _limit("register-phone:" + ctx().accounts.key_for("phone", phone), "RATE_REGISTER_PER_PHONE")


def request_code(raw_phone: str, *, client: str) -> str:
    """Send a one-time code to this phone; remembers the phone in the session for the next step."""
    phone = normalise_phone(raw_phone)
    accounts = ctx().accounts
    _limit("otp-client:" + accounts.key_for("client", client), "RATE_OTP_PER_CLIENT")
    _limit("otp-phone:" + accounts.key_for("phone", phone), "RATE_OTP_PER_PHONE")
    code = accounts.issue_code(phone, _now())
    minutes = max(1, accounts.otp_ttl // 60)
    text = translate("otp.message", code=code, minutes=minutes)
    ctx().sender.send(Message(phone=phone, text=text))
    session["pending_phone"] = seal(phone)
    return mask_phone(phone)


def confirm_code(code: str) -> Principal:
    """Check the code for the phone of this session and sign the citizen in."""
    phone = unseal(session.get("pending_phone"))
    if phone is None:
        raise BadInput("ask for a code first", key="error.code_missing")
    ctx().accounts.check_code(phone, code, _now())
    principal = Principal(
        role=Role.CITIZEN, subject=ctx().accounts.key_for("phone", phone), display=mask_phone(phone)
    )
    _start_session(principal, phone=phone)
    return principal


def staff_sign_in(username: str, password: str, *, client: str) -> Principal:
    account = ctx().accounts.sign_in(username, password, client=client, now=_now())
    principal = Principal(
        role=account.role,
        subject=account.username,
        site_id=account.site_id,
        province_code=account.province_code,
        display=account.username,
    )
    _start_session(principal)
    return principal


def _start_session(principal: Principal, *, phone: str = "") -> None:
    """A fresh session for the signed-in principal (keeps only the language choice)."""
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    session.permanent = True
    session["principal"] = {
        "role": principal.role.value,
        "subject": principal.subject,
        "site_id": principal.site_id,
        "province_code": principal.province_code,
        "display": principal.display,
    }
    session[SESSION_VERSION] = ctx().accounts.session_version(session_account(principal))
    if phone:
        session["phone"] = seal(phone)
