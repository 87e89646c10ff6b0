"""Which fields of the stored events are personal data, written down per event class (never guessed).

A field typed `PersonalData` is sealed with its owner's key when the event is stored (AES-GCM,
ledger.personaldata): that is what keeps names, numbers, dates of birth, phones, symptoms and message
texts out of the store and out of anything that prints stored events. The danger is a field holding
personal data typed as plain text: it would be stored in clear without any error. So:

- `SEALED` names, per event class, the fields sealed with the person's key;
- `CLEAR_TEXT` names every text field stored in clear, each with why it may be (a code from a fixed
  list, a keyed digest, staff's words about the record);

and a test (tests/unit/ledger/test_sealed_fields.py) walks every event class of the ledger: each
`PersonalData` field must be in `SEALED` for its class (and nothing else), and each text field must be
sealed or named in `CLEAR_TEXT`. A new field is a decision someone writes here, not a default.

The code that reads or writes a sealed value without the library's transcoder uses this list too:
`LedgerBase.person_names` (the name of a stored name event) and the direct encoder of a few frequent
events (ledger.event_encoding: a shape is used only when its sealed fields are exactly these).
"""

from __future__ import annotations

from typing import Final

from ledger.campaign.messages import InboundReply, Message
from ledger.certificate_model import Certificate
from ledger.domainmodel import Person

SEALED: Final[dict[type, frozenset[str]]] = {
    Person.Registered: frozenset({"national_id", "full_name", "date_of_birth", "phone"}),
    Person.NameCorrected: frozenset({"full_name"}),
    Person.DateOfBirthCorrected: frozenset({"date_of_birth"}),
    Person.PhoneCorrected: frozenset({"phone"}),
    Person.NationalIdHeld: frozenset({"national_id"}),
    Person.AdverseReactionReported: frozenset({"symptoms"}),
    Person.ReactionFollowUpRecorded: frozenset({"outcome"}),
    Person.HealthDeclared: frozenset({"symptoms", "exposure", "travel"}),
    Certificate.Issued: frozenset({"hc1"}),  # the HC1 holds the name and date of birth
    Message.Queued: frozenset({"text"}),  # names a person's appointment, site and day
    InboundReply.Kept: frozenset({"text"}),  # whatever the person texted
    InboundReply.Handled: frozenset({"note"}),  # staff's words about the reply (plain text before s6)
}

# Text fields stored in clear, by field name, and why that is safe. Free text a citizen types never
# goes here: it is sealed.
CLEAR_TEXT: Final[dict[str, str]] = {
    "originator_topic": "the library's class topic",
    "ward_code": "a statistics-office code from wards.csv",
    "province_code": "a statistics-office code",
    "priority_group": "a code from priority_groups.csv",
    "previous_product": "a vaccine product code",
    "product": "a vaccine product code",
    "manufacturer": "a manufacturer code",
    "lot_number": "the lot's number printed on the vial",
    "relationship": "child, parent, grandparent or other",
    "vaccinator_id": "a staff account's id",
    "language": "vi or en",
    "kind": "a message kind",
    "encoding": "GSM-7 or UCS-2",
    "status": "a status code",
    "basis": "a certificate's basis code",
    "uci": "the certificate's identifier (in the QR, by design; no name)",
    "by_uci": "the superseding certificate's identifier",
    "kid": "the signing key's identifier",
    "session": "a session name of a site (morning, afternoon)",
    "code": "a site's code",
    "name": "a vaccination site's name",
    "address": "a vaccination site's address",
    "phone_digest": "a keyed digest of the number, never the number",
    "gateway_ref": "the SMS gateway's message id",
    "error": "the SMS gateway's error (a status line, no message text)",
    "answer": "a check-in's coded answer: no_reaction, mild or serious",
    "command": "a ledger command's name",
    "fingerprint": "a keyed digest of a command's arguments",
    "reason": "staff's or the system's words about the record (why a dose was voided, a session cancelled)",
    "entries": "appointments as [id, registration, person, session, rank, dose, product]: ids and codes",
    "sessions": "a site's sessions as [name, start, end, capacity]",
    "no_shows": "appointment ids",
    "result": "a command's returned ids and counts (its arguments are only a keyed fingerprint)",
}


def sealed_fields(event_class: type) -> frozenset[str]:
    """The fields of this event class sealed with the person's key (none for most classes)."""
    for cls in event_class.__mro__:
        found = SEALED.get(cls)
        if found is not None:
            return found
    return frozenset()
