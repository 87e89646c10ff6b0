"""A phone number change at the desk: confirmed by a code sent to the new number, told to the old one.

The phone number is how a citizen signs in, so changing it hands over the health book (issue 12,
item 1: a station changed a stranger's phone and the new phone signed in as them). The change is
applied only when the person, at the desk, reads back the one-time code sent to the new number;
the old number then hears that it was replaced, and every session signed in with it ends.
The pending change waits in the staff member's session, sealed (the new number is personal data).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from uuid import UUID

from flask import current_app, session

from services import desk
from services.desk import StaffMember
from web.accounts import citizen_session_account, mask_phone, normalise_phone
from web.context import ctx
from web.errors import BadInput
from web.i18n import translate
from web.outbox import Message
from web.signin import seal, unseal

PENDING = "phone_change"


@dataclass(frozen=True)
class PendingChange:
    person_id: str
    phone: str
    reason: str


def _now() -> float:
    return ctx().clock().timestamp()


def start(person_id: UUID, raw_phone: str, reason: str, *, staff: StaffMember) -> str:
    """Check the staff member may change it, send a code to the new number; returns it masked."""
    phone = normalise_phone(raw_phone)
    reason = reason.strip()
    if not reason:
        raise BadInput("give the reason for the change", key="error.field_missing", field="reason")
    ledger = ctx().backend.ledger
    ledger.check_may_correct(person_id=person_id, command="correct_phone", actor=staff.actor)
    accounts = ctx().accounts
    limit, window = current_app.config["RATE_OTP_PER_PHONE"]
    accounts.hit("otp-phone:" + accounts.key_for("phone", phone), int(limit), int(window), _now())
    code = accounts.issue_code(phone, _now())
    # The person holding the phone is not the one reading the page: Vietnamese, the campaign's language.
    text = translate("phone_change.code", "vi", code=code, minutes=max(1, accounts.otp_ttl // 60))
    ctx().sender.send(Message(phone=phone, text=text))
    session[PENDING] = seal(json.dumps({"person_id": str(person_id), "phone": phone, "reason": reason}))
    return mask_phone(phone)


def pending(person_id: UUID) -> PendingChange | None:
    """The change waiting for its code for this person, if any."""
    sealed = unseal(session.get(PENDING))
    if sealed is None:
        return None
    data = json.loads(sealed)
    if data.get("person_id") != str(person_id):
        return None
    return PendingChange(str(data["person_id"]), str(data["phone"]), str(data["reason"]))


def confirm(person_id: UUID, code: str, *, staff: StaffMember) -> None:
    """Apply the change once the new number's code is right; tell the old number; end its sessions."""
    change = pending(person_id)
    if change is None:
        raise BadInput("start the phone change again: no change is waiting", key="error.phone_change_missing")
    accounts = ctx().accounts
    accounts.check_code(change.phone, code, _now())
    ledger = ctx().backend.ledger
    before = ledger.person_record(person_id).phone
    desk.correct(
        ledger,
        person_id,
        desk.Correction(field="phone", value=change.phone, reason=change.reason),
        staff=staff,
    )
    session.pop(PENDING, None)
    if before:
        old = normalise_phone(before)
        if old != change.phone:
            ctx().sender.send(Message(phone=old, text=translate("phone_change.old_number", "vi")))
            accounts.revoke_sessions(citizen_session_account(accounts.key_for("phone", old)))
