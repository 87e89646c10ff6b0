"""Trust material and checks: the signed trust list and revocation list, the CSCA anchor, verifying an
HC1 string (web.pictures reads QR pictures). Signed lists are cached per process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives import serialization

from keys.certificates import der
from keys.publish import issue_revocation_list, issue_trust_list
from keys.settings import passphrase_from_environment
from keys.store import KeyStore
from projections.queries import revoked_ucis
from projections.registry import catch_up_views
from services.backend import Backend
from services.errors import (
    CertificateNotAccepted,
    KeysMissing,
    NoPersonForCertificate,
)
from services.messages import verdict
from services.people import parse_id
from verifier import TrustList, VerificationError, verify
from verifier.acceptance import Acceptance, RuleOutcome, assess_levels
from verifier.trustlist import uci_hash

LIST_LIFETIME = timedelta(hours=1)


@dataclass(frozen=True)
class Download:
    """Bytes to hand out as a file."""

    data: bytes
    filename: str
    mimetype: str = "application/octet-stream"


@dataclass(frozen=True)
class RuleLine:
    """One of Viet Nam's rules applied to the certificate, as the page and dcc-verify list them."""

    rule: str  # the rule's identifier (VR-VN-0002)
    status: str  # passed, failed or open
    reason: str  # rule_passed, rule_failed, rule_raised or rule_open (its sentence in services.messages)
    description: str  # the rule's own description in the page's language
    outcome: str  # the status as a sentence in the page's language

    def as_json(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "status": self.status,
            "reason": self.reason,
            "description": self.description,
        }


@dataclass(frozen=True)
class Verdict:
    """The answer to 'is this certificate valid?': who and which dose, or why not (a verifier reason).

    `valid` means authentic (signature, trust list, revocation, schema); `accepted` that Viet Nam's
    CertLogic rules shipped with the verifier (verifier/rulesets/VN, with its value sets) give it a
    card, `status` (green or yellow) being the best level whose rules all pass, as dcc-verify says.
    """

    valid: bool
    reason: str = ""  # the verifier's reason when not valid (revoked, expired, signature, ...)
    code: str = ""  # the error code of that reason (its message in services.messages)
    message: str = ""  # the verifier's English sentence
    name: str = ""
    name_transliterated: str = ""
    date_of_birth: str = ""
    dose: str = ""  # "2/2"
    status: str = ""  # green or yellow: the level reached under the VN rules ("" when not accepted)
    uci: str = ""
    accepted: bool = False
    summary: str = ""  # one sentence in the page's language: the level, or the rule that kept it out
    rules: tuple[RuleLine, ...] = ()  # the deciding level's rules, each with its outcome

    def as_json(self) -> dict[str, object]:
        if not self.valid:
            return {"valid": False, "reason": self.reason, "message": self.message}
        return {
            "valid": True,
            "accepted": self.accepted,
            "name": self.name,
            "name_transliterated": self.name_transliterated,
            "date_of_birth": self.date_of_birth,
            "dose": self.dose,
            "status": self.status or None,
            "summary": self.summary,
            "rules": [line.as_json() for line in self.rules],
            "uci": self.uci,
        }


def key_store(backend: Backend) -> KeyStore:
    store = KeyStore(backend.key_dir)
    if not store.exists():
        raise KeysMissing(
            f"There are no signing keys in {backend.key_dir}: run `immunize keys init` "
            "(or `make run` for development keys).",
            key_dir=str(backend.key_dir),
        )
    return store


def passphrase(backend: Backend) -> bytes:
    return passphrase_from_environment(development=key_store(backend).manifest().development)


def withdrawn_ucis(backend: Backend) -> list[str]:
    """The revoked UCIs, from the `certificate_index` projection caught up first (the one read side)."""
    catch_up_views(backend.ledger, backend.views, ["certificate_index"])
    return revoked_ucis(backend.views)


def trust(backend: Backend, now: datetime, *, revocation: bool = False) -> TrustList:
    """Every DSC of the key store (the trust-list file), and with `revocation` the withdrawn UCIs."""
    store = key_store(backend)
    trusted = TrustList.from_certificates([der(c) for _r, c in store.trusted_documents(now)])
    if revocation:
        head = backend.ledger.recorder.max_notification_id() or 0
        caches = backend.caches
        with caches.lock:
            if caches.revoked_hashes is None or caches.revoked_hashes[0] != head:  # re-read after new events
                hashes = frozenset(uci_hash(u) for u in withdrawn_ucis(backend))
                caches.revoked_hashes = (head, hashes)
            trusted.revoked = caches.revoked_hashes[1]
    return trusted


def verify_certificate(
    backend: Backend, hc1: str, *, now: datetime, revocation: bool = True, language: str = "vi"
) -> Verdict:
    """The verdict on an HC1 string. Revoked certificates are refused (reason `revoked`; superseded ones
    stay valid), as offline verifiers with the revocation list refuse them. An authentic certificate is
    then judged by the verifier's acceptance with Viet Nam's shipped rules and value sets (the same rule
    as dcc-verify: one place), in `language` (vi or en)."""
    try:
        result = verify(hc1, trust(backend, now, revocation=revocation), now=now)
    except VerificationError as exc:
        return Verdict(valid=False, reason=exc.reason, code=exc.code, message=str(exc))
    dcc = result.dcc
    name = dcc.get("nam", {})
    vaccination = (dcc.get("v") or [{}])[0]
    dn, sd = vaccination.get("dn", 0), vaccination.get("sd", 0)
    decision = assess_levels(
        dcc,
        result.kind,
        now,
        language=language,
        issued_at=result.issued_at,
        expires_at=result.expires_at,
        kid=result.kid,
    )
    # The rules shown: those of the level reached, else of the last level tried (why not even that one).
    shown = next((a for level, a in decision.levels if level == decision.level), decision.levels[-1][1])
    return Verdict(
        valid=True,
        name=f"{name.get('fn', '')} {name.get('gn', '')}".strip(),
        name_transliterated=f"{name.get('fnt', '')} {name.get('gnt', '')}".strip(),
        date_of_birth=str(dcc.get("dob", "")),
        dose=f"{dn}/{sd}" if isinstance(dn, int) and isinstance(sd, int) and dn else "",
        status=decision.level or "",
        uci=str(result.certificate_id or ""),
        accepted=decision.level is not None,
        summary=_summary(decision.level, shown.outcomes, shown.country, language)
        + _missed(decision.levels, decision.level, language),
        rules=tuple(_line(outcome, language) for outcome in shown.outcomes),
    )


def _text(code: str, language: str, **params: object) -> str:
    return verdict(code, language, **params)


def _line(outcome: RuleOutcome, language: str) -> RuleLine:
    return RuleLine(
        rule=outcome.rule.identifier,
        status=outcome.status,
        reason=outcome.reason,
        description=outcome.rule.description(language),
        outcome=_text(outcome.reason, language),
    )


def _summary(level: str | None, outcomes: tuple[RuleOutcome, ...], country: str, language: str) -> str:
    if level is not None:
        return _text(
            "certificate_accepted", language, level=_text(f"card_{level}", language), country=country
        )
    first = _deciding(outcomes)
    return _text(
        "certificate_not_accepted_by_rules",
        language,
        rule=first.rule.identifier,
        description=first.rule.description(language),
    )


def _deciding(outcomes: tuple[RuleOutcome, ...]) -> RuleOutcome:
    return ([o for o in outcomes if o.status == "failed"] or [o for o in outcomes if o.status == "open"])[0]


def _missed(levels: tuple[tuple[str, Acceptance], ...], level: str | None, language: str) -> str:
    """A lower card says which rule of the better one it missed, as dcc-verify's headline does."""
    if level is None or len(levels) < 2:
        return ""
    better, acceptance = levels[0]
    first = _deciding(acceptance.outcomes)
    return " " + _text(
        "certificate_missed_level",
        language,
        level=_text(f"card_{better}", language),
        rule=first.rule.identifier,
        description=first.rule.description(language),
    )


def person_for_certificate(
    backend: Backend, hc1: str, *, now: datetime, seen: Callable[[str], None] | None = None
) -> str:
    """The person id a certificate shown at the desk belongs to (an old, superseded one finds them too).
    `seen` is told the certificate's UCI as soon as it is read (the desk logs its lookups by it)."""
    verdict = verify_certificate(backend, hc1, now=now, revocation=False)
    if seen is not None and verdict.uci:
        seen(verdict.uci)
    if not verdict.valid:
        raise CertificateNotAccepted(verdict.message, reason=verdict.reason)
    backend.read.refresh()
    person_id = backend.read.person_for_uci(verdict.uci)
    if person_id is None:
        raise NoPersonForCertificate("No person in this ledger has that certificate.")
    return str(parse_id(person_id))


def trust_list_file(backend: Backend, *, now: datetime) -> Download:
    """The signed trust list (a new one at most hourly: each spends a sequence number)."""
    caches = backend.caches
    with caches.lock:
        if caches.trust_list is None or now - caches.trust_list[0] > LIST_LIFETIME:
            caches.trust_list = (now, issue_trust_list(backend.key_dir, passphrase(backend), now))
        return Download(caches.trust_list[1], "trust-list.cbor")


def trust_anchor_file(backend: Backend) -> Download:
    pem = key_store(backend).csca_certificate().public_bytes(serialization.Encoding.PEM)
    return Download(pem, "csca.pem", "application/x-pem-file")


def revocation_list_file(backend: Backend, *, now: datetime) -> Download:
    """The signed revocation list: a new one as soon as the withdrawn UCIs changed, and at least hourly
    so its next-update stays ahead; otherwise the same bytes."""
    head = backend.ledger.recorder.max_notification_id() or 0
    caches = backend.caches
    with caches.lock:
        cached = caches.revocation_list
        if cached is None or now - cached[0] > LIST_LIFETIME or cached[1] != head:
            ucis = sorted(withdrawn_ucis(backend))
            if cached is None or now - cached[0] > LIST_LIFETIME or ucis != cached[2]:
                data = issue_revocation_list(backend.key_dir, passphrase(backend), ucis, now)
                cached = (now, head, ucis, data)
            else:
                cached = (cached[0], head, ucis, cached[3])
            caches.revocation_list = cached
        return Download(cached[3], "revocation-list.cbor")
