"""The one place the web app calls the lower layers: pages and the JSON API both go through here.

Each method takes plain values, calls the ledger, credentials, keys, verifier or projections, and
returns plain dicts ready for a template or for JSON. Lower-layer errors become WebErrors whose
catalog key says in the user's language what went wrong (the English sentence is kept as detail).
"""

from __future__ import annotations

import functools
import importlib
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from uuid import UUID

from ledger.settings import StoreSettings
from web.accounts import normalise_phone
from web.errors import BadInput, Forbidden, NotFound, Unavailable, WebError
from web.roles import Principal

VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")
RENDERED_CACHE_SIZE = 256

P = ParamSpec("P")
R = TypeVar("R")

# Lower-layer error class name -> catalog key (the rest fall back to error.rejected).
ERROR_KEYS = {
    "PersonNotFound": "error.person_not_found",
    "SiteNotFound": "error.not_found",
    "LotNotFound": "error.lot_unknown",
    "NotPermitted": "error.forbidden",
    "DuplicateNationalId": "error.duplicate_id",
    "DoseDateInvalid": "error.dose_date",
    "LotUnusable": "error.lot_unusable",
    "DoseSequenceError": "error.dose_sequence",
    "DoseIntervalError": "error.dose_interval",
    "PersonErasedError": "error.erased",
    "ConflictError": "error.conflict",
    "StoreError": "error.unavailable",
    "ConfigurationError": "error.unavailable",
    "NoDose": "error.no_dose",
    "KeysNotInitialised": "error.keys_missing",
    "KeysError": "error.keys_missing",
    "KeyStoreMissing": "error.keys_missing",
    "AuditError": "error.audit",
    "ViewStoreError": "error.unavailable",
}


def translated(error: Exception) -> WebError:
    """A lower layer's error as a WebError (status and catalog key by the error's class)."""
    names = [cls.__name__ for cls in type(error).__mro__]
    key = next((ERROR_KEYS[n] for n in names if n in ERROR_KEYS), "error.rejected")
    if key == "error.forbidden":
        return Forbidden(str(error), key=key)
    if key in ("error.person_not_found", "error.not_found"):
        return NotFound(str(error), key=key)
    if key in ("error.unavailable", "error.keys_missing"):
        return Unavailable(str(error), key=key)
    return BadInput(str(error), key=key)


def project_errors() -> tuple[type[Exception], ...]:
    """The base errors of the lower layers that exist in this installation."""
    found: list[type[Exception]] = []
    for module, name in (
        ("ledger.errors", "LedgerError"),
        ("keys.errors", "KeysError"),
        ("credentials.errors", "CredentialError"),
        ("projections.errors", "ProjectionError"),
    ):
        try:
            found.append(getattr(__import__(module, fromlist=[name]), name))
        except (ImportError, AttributeError):
            continue
    return tuple(found)


def guarded(method: Callable[P, R]) -> Callable[P, R]:
    """Wrap lower-layer errors, and a missing part of the platform, into WebErrors."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except WebError:
            raise
        except ImportError as exc:
            raise Unavailable(f"a part of the platform is not installed yet ({exc.name})") from exc
        except project_errors() as exc:
            raise translated(exc) from exc

    return wrapper


def _uuid(value: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError as exc:
        raise NotFound("no such record", key="error.not_found") from exc


def _optional(module: str) -> Any:
    """A module another area is still building, or None while it does not exist."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError:
        return None


def _key() -> str:
    """A fresh idempotency key for a form submitted once (forms may also carry their own)."""
    return "web-" + uuid.uuid4().hex


class Platform:
    """Lazily opens the ledger, keys and projections the first time a page needs them."""

    def __init__(
        self,
        store: StoreSettings,
        key_dir: Path,
        *,
        ledger: Any = None,
        views: Any = None,
        phone_key: Callable[[str], str] | None = None,
        tables: Any = None,
    ) -> None:
        self.store = store
        self.key_dir = key_dir
        self._ledger = ledger
        self._phone_key = phone_key
        self._tables = tables
        self._directory: Any = None
        self._lock = threading.RLock()
        self._views: Any = views
        self._rendered: dict[tuple[str, str], tuple[bytes, str]] = {}
        self._trust_cache: tuple[datetime, bytes] | None = None
        self._revocation_cache: tuple[datetime, int, list[str], bytes] | None = None
        self._revoked_cache: tuple[int, frozenset[bytes]] | None = None

    def attach_phone_key(self, phone_key: Callable[[str], str]) -> None:
        self._phone_key = phone_key

    # the ledger -----------------------------------------------------------------------------------
    @property
    def ledger(self) -> Any:
        with self._lock:
            if self._ledger is None:
                try:
                    from ledger.application import Ledger
                except ImportError as exc:
                    raise Unavailable("the ledger is not installed yet") from exc
                try:
                    self._ledger = Ledger(self.store.url, key_dir=self.key_dir)
                except project_errors() as exc:
                    raise translated(exc) from exc
            return self._ledger

    @property
    def views(self) -> Any:
        """The projections' view store (same database as the ledger; its own in-memory one for memory://)."""
        with self._lock:
            if self._views is None:
                from projections.registry import view_classes
                from projections.store import open_view_store

                views = open_view_store(self.store)
                for view_class in view_classes():
                    view_class.recorder(views).create_table()  # empty views read as zeros, not errors
                self._views = views
            return self._views

    @property
    def directory(self) -> Any:
        with self._lock:
            if self._directory is None:
                from web.directory import Directory

                if self._tables is None:
                    from web.store import SqlStore

                    self._tables = SqlStore(self.store)
                self._directory = Directory(self.ledger, self._index_key, self._tables)
            return self._directory

    def _index_key(self, phone: str) -> str | None:
        try:
            national = normalise_phone(phone)
        except BadInput:
            return None
        return self._phone_key(national) if self._phone_key else None

    def reference(self) -> Any:
        return self.ledger.reference

    @guarded
    def priority_groups(self) -> list[dict[str, str]]:
        groups = self.reference().priority_groups.values()
        return [
            {"code": g.code, "vi": g.name_vi, "en": g.name_en} for g in sorted(groups, key=lambda g: g.rank)
        ]

    def vaccine_name(self, mp: str) -> str:
        vaccine = self.reference().vaccines.get(mp)
        return str(vaccine.name) if vaccine is not None else mp

    # citizens -------------------------------------------------------------------------------------
    @guarded
    def family(self, phone: str) -> list[dict[str, Any]]:
        """The people this phone signs in for: each registered holder and the dependants they manage."""
        key = self._index_key(phone)
        if key is None:
            return []
        people: list[dict[str, Any]] = []
        for person_id in self.directory.people_with_phone(key):
            record = self.ledger.person_record(person_id)
            if record.erased:
                continue
            people.append(self._summary(record, relation="self"))
            for dependant in self.ledger.dependants(person_id):
                if not dependant.erased:
                    people.append(self._summary(dependant, relation="dependant"))
        return people

    def _summary(self, record: Any, *, relation: str) -> dict[str, Any]:
        return {**self._identity(record, relation), "status": self.status_of(record)}

    def status_of(self, record: Any) -> str:
        """green / yellow as the certificate would say (credentials' dose numbering), or none."""
        from credentials import CredentialError, DoseRecord
        from credentials.series import latest_dose

        doses = sorted(record.doses, key=lambda d: d.administered_on)
        if not doses:
            return "none"
        vaccines = self.reference().vaccines
        try:
            series = tuple(
                DoseRecord(
                    mp=d.product, ma=vaccines[d.product].ma, vp=vaccines[d.product].vp, date=d.administered_on
                )
                for d in doses
            )
            return str(latest_dose(series).status)
        except (KeyError, CredentialError):
            return "yellow"

    def _identity(self, record: Any, relation: str) -> dict[str, Any]:
        doses = list(record.doses)
        return {
            "id": str(record.person_id),
            "full_name": record.display_name,
            "date_of_birth": record.date_of_birth,
            "relation": relation,
            "guardian_id": str(record.guardian_id) if record.guardian_id else None,
            "doses": len(doses),
        }

    @guarded
    def register_self(self, phone: str, form: dict[str, Any], *, now: datetime) -> str:
        from ledger.values import Actor, Role

        actor = Actor(actor_id="web-citizen", role=Role.CITIZEN)
        person_id = self.ledger.register_person(
            national_id=form["national_id"],
            full_name=form["full_name"],
            date_of_birth=form["date_of_birth"],
            sex=form["sex"],
            phone=phone,
            ward_code=form["ward_code"],
            priority_group=form["priority_group"] or self._default_group(),
            actor=actor,
            idempotency_key=_key(),
        )
        return str(person_id)

    def _default_group(self) -> str:
        groups = sorted(self.reference().priority_groups.values(), key=lambda g: g.rank)
        return str(groups[-1].code)

    @guarded
    def add_dependant(self, guardian_id: str, form: dict[str, Any], *, now: datetime) -> str:
        from ledger.values import Actor, Role

        actor = Actor(actor_id=str(_uuid(guardian_id)), role=Role.GUARDIAN)
        person_id = self.ledger.register_person(
            national_id=form["national_id"] or None,
            full_name=form["full_name"],
            date_of_birth=form["date_of_birth"],
            sex=form["sex"],
            phone=None,
            ward_code=form["ward_code"],
            priority_group=form["priority_group"] or self._default_group(),
            actor=actor,
            idempotency_key=_key(),
            guardian_id=_uuid(guardian_id),
            relationship=form.get("relationship") or "child",
        )
        return str(person_id)

    def citizen_actor(self, person: dict[str, Any], phone: str) -> Any:
        """Acting for oneself, or as the guardian of a dependant."""
        from ledger.values import Actor, Role

        if person.get("guardian_id"):
            return Actor(actor_id=str(person["guardian_id"]), role=Role.GUARDIAN)
        return Actor(actor_id=str(person["id"]), role=Role.CITIZEN)

    @guarded
    def health_book(self, person_id: str) -> dict[str, Any]:
        """Identity, doses (with vaccine names), reactions, for one person (read from the ledger itself)."""
        record = self.ledger.person_record(_uuid(person_id))
        data: dict[str, Any] = record.as_json()
        self.directory.refresh()
        sites = self.directory.sites
        for dose in data["doses"]:
            dose["vaccine"] = self.vaccine_name(dose["product"])
            site = sites.get(dose.get("site_id") or "")
            dose["site_name"] = site.name if site is not None else ""
        data["id"] = data["person_id"]
        data["display_name"] = record.display_name
        data["status"] = self.status_of(record)
        data["next_dose_number"] = len(record.doses) + 1
        data["certificates"] = self.certificate_history(record.person_id)
        data.pop("phone", None)
        return data

    def certificate_history(self, person_id: UUID) -> list[dict[str, Any]]:
        """Every certificate the person was given, newest first: superseded ones stay valid, revoked say why."""
        from ledger.certificates import certificates_of

        found = [
            {
                "uci": c.uci,
                "dose_number": c.dose_number,
                "series_doses": c.series_doses,
                "issued_on": c.issued_at.date().isoformat(),
                "state": "revoked" if c.withdrawn else "superseded" if c.superseded_by else "current",
                "reason": c.revoked_reason,
                "revoked_on": c.revoked_at.date().isoformat() if c.revoked_at else None,
            }
            for c in certificates_of(self.ledger, person_id)
        ]
        return found[::-1]

    @guarded
    def report_reaction(self, person_id: str, form: dict[str, Any], *, actor: Any, now: datetime) -> str:
        reaction_id = self.ledger.report_reaction(
            person_id=_uuid(person_id),
            onset=form["onset"],
            symptoms=form["symptoms"],
            severity=form["severity"],
            actor=actor,
            idempotency_key=_key(),
            dose_id=_uuid(form["dose_id"]) if form.get("dose_id") else None,
        )
        return str(reaction_id)

    @guarded
    def declare_health(self, person_id: str, form: dict[str, Any], *, actor: Any, now: datetime) -> str:
        declaration_id = self.ledger.declare_health(
            person_id=_uuid(person_id),
            symptoms=form["symptoms"],
            exposure="yes" if form["exposure"] else "",
            travel=form["travel"],
            actor=actor,
            idempotency_key=_key(),
        )
        return str(declaration_id)

    # certificates ---------------------------------------------------------------------------------
    @guarded
    def certificate(self, person_id: str, *, now: datetime) -> dict[str, Any]:
        issued = self._issue(person_id, now)
        return issued

    @guarded
    def certificate_file(self, person_id: str, fmt: str, *, now: datetime) -> tuple[bytes, str]:
        if fmt not in ("png", "svg", "pdf"):
            raise NotFound("certificates come as .png, .svg or .pdf", key="error.not_found")
        issued = self._issue(person_id, now)
        # Pictures of a current certificate never change: keep the last few hundred rendered
        # (a surge of downloads then costs a ledger read, not a PDF drawing each time).
        key = (issued["uci"], fmt)
        with self._lock:
            rendered = self._rendered.get(key)
        if rendered is None:
            rendered = self._render(person_id, issued, fmt, now)
            with self._lock:
                if len(self._rendered) >= RENDERED_CACHE_SIZE:
                    self._rendered.pop(next(iter(self._rendered)))
                self._rendered[key] = rendered
        return rendered

    def _signer(self, now: datetime) -> Any:
        from keys.signing import load_current_signer

        return load_current_signer(self.key_dir, self._passphrase(), now)

    def _issue(self, person_id: str, now: datetime) -> dict[str, Any]:
        """The person's current certificate; a new one only when none covers their latest record.

        The ledger decides (`certificate_for_download`): the current certificate is reused while it
        says what the record says and was signed with the current key, so a rotated or revoked key
        or a correction re-issues; issuing supersedes the old one.
        """
        from ledger.certificates import certificate_for_download

        pid = _uuid(person_id)
        person = self.ledger.get_person(pid)
        if person.erased or person.full_name.erased:
            raise NotFound("this record was erased", key="error.erased")
        if not person.active_doses:
            raise BadInput("no dose yet, so no certificate", key="error.no_dose")
        issued = certificate_for_download(self.ledger, pid, self._signer(now), now=now)
        hc1, uci, status = issued.hc1, issued.uci, str(issued.status)
        dn, sd = issued.dose_number, issued.series_doses
        issued_at, expires_at = issued.issued_at, issued.expires_at
        from ledger.records import PersonRecord

        record = PersonRecord.of(person)  # issuing changes Certificate aggregates, never the person
        return {
            "hc1": hc1,
            "uci": uci,
            "status": status,
            "dose": f"{dn}/{sd}",
            "dose_number": dn,
            "series_doses": sd,
            "issued_at": issued_at.isoformat(),
            "expires_at": expires_at.isoformat(),
            "full_name": record.full_name,
            "date_of_birth": record.date_of_birth,
            "doses": [
                {
                    "dose_number": d.dose_number,
                    "date": d.administered_on.isoformat(),
                    "vaccine": self.vaccine_name(d.product),
                }
                for d in record.doses
            ],
        }

    def _render(self, person_id: str, issued: dict[str, Any], fmt: str, now: datetime) -> tuple[bytes, str]:
        from credentials import qr

        if fmt == "png":
            return qr.hc1_png(issued["hc1"]), "image/png"
        if fmt == "svg":
            return qr.hc1_svg(issued["hc1"]).encode("utf-8"), "image/svg+xml"
        return self._pdf(person_id, issued, now), "application/pdf"

    def _pdf(self, person_id: str, issued: dict[str, Any], now: datetime) -> bytes:
        """The printable certificate; its HC1 is read back by the verifier first (what is printed is checked)."""
        from credentials import IssuedCertificate, Status
        from credentials.pdf import certificate_pdf
        from ledger.certificates import vaccination_record
        from verifier import VerificationError, verify

        try:
            checked = verify(issued["hc1"], self.trust(now), now=now)
        except VerificationError as exc:
            raise Unavailable(f"the certificate could not be checked before printing: {exc}") from exc
        signed = IssuedCertificate(
            hc1=issued["hc1"],
            uvci=issued["uci"],
            dcc=checked.dcc,
            status=Status(issued["status"]),
            dose_number=int(issued["dose_number"]),
            series_doses=int(issued["series_doses"]),
            kid=checked.kid,
            issued_at=datetime.fromisoformat(issued["issued_at"]),
            expires_at=datetime.fromisoformat(issued["expires_at"]),
        )
        record = vaccination_record(self.ledger, self.ledger.get_person(_uuid(person_id)))
        return certificate_pdf(signed, record)

    # public: verification and trust material --------------------------------------------------------
    def _passphrase(self) -> bytes:
        from keys.settings import passphrase_from_environment
        from keys.store import KeyStore

        store = KeyStore(self.key_dir)
        if not store.exists():
            raise Unavailable(
                f"there are no signing keys in {self.key_dir}: run `immunize keys init` (or `make run` for development keys)",
                key="error.keys_missing",
            )
        return passphrase_from_environment(development=store.manifest().development)

    @guarded
    def trust_list_file(self) -> tuple[bytes, str]:
        from keys.publish import issue_trust_list

        now = datetime.now().astimezone()
        with self._lock:
            if self._trust_cache is None or now - self._trust_cache[0] > timedelta(hours=1):
                self._trust_cache = (now, issue_trust_list(self.key_dir, self._passphrase(), now))
            return self._trust_cache[1], "trust-list.cbor"

    @guarded
    def trust_anchor_file(self) -> tuple[bytes, str]:
        from cryptography.hazmat.primitives import serialization

        from keys.store import KeyStore

        store = KeyStore(self.key_dir)
        if not store.exists():
            raise Unavailable("no keys yet: run `immunize keys init`", key="error.keys_missing")
        return store.csca_certificate().public_bytes(serialization.Encoding.PEM), "csca.pem"

    @guarded
    def revocation_list_file(self) -> tuple[bytes, str]:
        from keys.publish import issue_revocation_list

        now = datetime.now().astimezone()
        head = self.ledger.recorder.max_notification_id() or 0
        with self._lock:
            # A new signed list (next sequence number) as soon as the log moved and the withdrawn UCIs
            # changed, and at least hourly so its next-update stays ahead; otherwise the same bytes.
            cached = self._revocation_cache
            if cached is None or now - cached[0] > timedelta(hours=1) or cached[1] != head:
                ucis = sorted(self._revoked_ucis())
                if cached is None or now - cached[0] > timedelta(hours=1) or ucis != cached[2]:
                    data = issue_revocation_list(self.key_dir, self._passphrase(), ucis, now)
                    cached = (now, head, ucis, data)
                else:
                    cached = (cached[0], head, ucis, cached[3])
                self._revocation_cache = cached
            return cached[3], "revocation-list.cbor"

    def _revoked_ucis(self) -> list[str]:
        """Superseded and revoked UCIs, read from the ledger's log incrementally (never behind the log)."""
        return list(self.directory.withdrawn_ucis())

    def trust(self, now: datetime, *, revocation: bool = False) -> Any:
        """The verifier's trust: every DSC of the key store (what the trust-list file carries), and with
        `revocation` the withdrawn UCIs (what the revocation-list file carries)."""
        from keys.certificates import der
        from keys.store import KeyStore
        from verifier import TrustList
        from verifier.trustlist import uci_hash

        store = KeyStore(self.key_dir)
        if not store.exists():
            raise Unavailable("no keys yet: run `immunize keys init`", key="error.keys_missing")
        trust = TrustList.from_certificates([der(c) for _r, c in store.trusted_documents(now)])
        if revocation:
            head = self.ledger.recorder.max_notification_id() or 0
            with self._lock:
                if (
                    self._revoked_cache is None or self._revoked_cache[0] != head
                ):  # re-read only after new events
                    self._revoked_cache = (head, frozenset(uci_hash(u) for u in self._revoked_ucis()))
                trust.revoked = self._revoked_cache[1]
        return trust

    @guarded
    def verify_certificate(
        self, hc1: str, *, now: datetime | None = None, revocation: bool = True
    ) -> dict[str, Any]:
        """The verdict on an HC1 string: valid with name/date of birth/doses, or the reason it is not.

        Revoked certificates are refused (reason `revoked`; superseded ones stay valid), as offline verifiers with
        the revocation list refuse them; the staff desk looks people up even by an old certificate.
        """
        from verifier import VerificationError, verify

        moment = now or datetime.now().astimezone()
        try:
            result = verify(hc1, self.trust(moment, revocation=revocation), now=moment)
        except VerificationError as exc:
            return {"valid": False, "reason": exc.reason, "message": str(exc)}
        dcc = result.dcc
        name = dcc.get("nam", {})
        vaccination = (dcc.get("v") or [{}])[0]
        dn, sd = int(vaccination.get("dn", 0)), int(vaccination.get("sd", 0))
        return {
            "valid": True,
            "name": f"{name.get('fn', '')} {name.get('gn', '')}".strip(),
            "name_transliterated": f"{name.get('fnt', '')} {name.get('gnt', '')}".strip(),
            "date_of_birth": dcc.get("dob", ""),
            "dose": f"{dn}/{sd}" if dn else "",
            "status": "green" if dn and dn >= sd else "yellow",
            "uci": vaccination.get("ci", ""),
        }

    # staff desk -----------------------------------------------------------------------------------
    @guarded
    def site(self, site_id: str) -> dict[str, Any]:
        self.directory.refresh()
        site = self.directory.sites.get(str(_uuid(site_id))) if site_id else None
        if site is None:
            return {"id": site_id, "name": site_id, "code": "", "province_code": ""}
        return {"id": site.id, "name": site.name, "code": site.code, "province_code": site.province_code}

    @guarded
    def site_lots(self, site_id: str, *, now: datetime) -> list[dict[str, Any]]:
        """Lots held at this site, usable today, for the dose form's picker."""
        self.directory.refresh()
        wanted = str(_uuid(site_id)) if site_id else ""
        today = now.date()
        lots = [
            {
                "id": lot.id,
                "label": f"{self.vaccine_name(lot.product)} · {lot.lot_number} · {lot.expiry.isoformat()}",
                "product": lot.product,
                "lot_number": lot.lot_number,
                "expiry": lot.expiry.isoformat(),
            }
            for lot in self.directory.lots.values()
            if lot.site_id == wanted and lot.expiry >= today
        ]
        return sorted(lots, key=lambda lot: lot["label"])

    @guarded
    def find_by_national_id(self, national_id: str) -> str:
        record = self.ledger.person_by_national_id(national_id.strip())
        return str(record.person_id)

    @guarded
    def find_by_certificate(self, hc1: str, *, now: datetime) -> str:
        verdict = self.verify_certificate(hc1, now=now, revocation=False)
        if not verdict["valid"]:
            raise BadInput(verdict["message"], key="error.certificate_invalid")
        return self._person_for_uci(verdict["uci"])

    def _person_for_uci(self, uci: str) -> str:
        person_id = self.directory.person_for_uci(uci)
        if person_id is None:
            raise NotFound("no person for that certificate", key="error.person_not_found")
        return str(person_id)

    @guarded
    def register_at_site(self, form: dict[str, Any], *, phone: str, staff: Principal, now: datetime) -> str:
        """Staff register a person at their desk (phone optional: it links the citizen's sign-in)."""
        number = normalise_phone(phone) if phone.strip() else None
        person_id = self.ledger.register_person(
            national_id=form["national_id"],
            full_name=form["full_name"],
            date_of_birth=form["date_of_birth"],
            sex=form["sex"],
            phone=number,
            ward_code=form["ward_code"],
            priority_group=form["priority_group"] or self._default_group(),
            actor=self.staff_actor(staff),
            idempotency_key=_key(),
        )
        return str(person_id)

    def staff_actor(self, staff: Principal) -> Any:
        from ledger.values import Actor, Role

        return Actor(actor_id=staff.subject, role=Role.SITE_STAFF, site_id=_uuid(staff.site_id))

    @guarded
    def record_dose(
        self, person_id: str, form: dict[str, Any], *, staff: Principal, now: datetime
    ) -> dict[str, Any]:
        """Record a dose from one of this site's lots; a lot from elsewhere is refused before the ledger."""
        lots = {lot["id"]: lot for lot in self.site_lots(staff.site_id, now=now)}
        lot = lots.get(str(_uuid(form["lot_id"])))
        if lot is None:
            raise Forbidden("that lot is not held at your site", key="error.lot_not_here")
        given_on: date = form["given_on"]
        recorded = self.ledger.record_dose(
            person_id=_uuid(person_id),
            dose_number=form["dose_number"],
            product=lot["product"],
            lot_id=_uuid(lot["id"]),
            administered_on=given_on,
            site_id=_uuid(staff.site_id),
            actor=self.staff_actor(staff),
            idempotency_key=form.get("idempotency_key") or _key(),
        )
        return {
            "person_id": str(recorded.person_id),
            "dose_id": str(recorded.dose_id),
            "dose_number": recorded.dose_number,
            "mixed_products": recorded.mixed_products,
        }

    @guarded
    def correct(self, person_id: str, form: dict[str, Any], *, staff: Principal, now: datetime) -> None:
        pid = _uuid(person_id)
        actor = self.staff_actor(staff)
        common = {"person_id": pid, "reason": form["reason"], "actor": actor, "idempotency_key": _key()}
        field, value = form["field"], form["value"]
        if field == "void_dose":
            if not form.get("dose_id"):
                raise BadInput("choose the dose to void", key="error.field_missing", field="dose_id")
            self.ledger.void_dose(dose_id=_uuid(form["dose_id"]), **common)
        elif field == "full_name":
            self.ledger.correct_name(full_name=value, **common)
        elif field == "sex":
            self.ledger.correct_sex(sex=value, **common)
        elif field == "date_of_birth":
            self.ledger.correct_date_of_birth(date_of_birth=value, **common)
        elif field == "phone":
            self.ledger.correct_phone(phone=value or None, **common)
        else:  # pragma: no cover - forms.correction_form allows nothing else
            raise BadInput("unknown correction", key="error.field_choice", field="field")

    # province, operations, statistics, audit ------------------------------------------------------
    @guarded
    def province_overview(self, province_code: str, *, now: datetime) -> dict[str, Any]:
        self.directory.refresh()
        province = self.reference().provinces.get(province_code)
        sites = [s for s in self.directory.sites.values() if s.province_code == province_code]
        site_ids = {s.id for s in sites}
        today = now.date()
        lots = [
            {
                "lot_number": lot.lot_number,
                "vaccine": self.vaccine_name(lot.product),
                "expiry": lot.expiry.isoformat(),
                "quantity": lot.quantity,
                "site": self.directory.sites[lot.site_id].name,
                "expired": lot.expiry < today,
                "near_expiry": today <= lot.expiry <= today + timedelta(days=30),
            }
            for lot in self.directory.lots.values()
            if lot.site_id in site_ids
        ]
        return {
            "province_code": province_code,
            "province_name": province.name if province is not None else province_code,
            "sites": [
                {
                    "name": s.name,
                    "code": s.code,
                    "ward_code": s.ward_code,
                    "capacity_per_day": s.capacity_per_day,
                }
                for s in sorted(sites, key=lambda s: s.name)
            ],
            "lots": sorted(lots, key=lambda lot: (lot["site"], lot["expiry"])),
        }

    @guarded
    def statistics(self) -> dict[str, Any]:
        """The public statistics (small counts suppressed by the projection: None means '< 5')."""
        from projections.queries import public_statistics

        stats = public_statistics(self.views, reference_data=self.reference())
        first = next((cell.value for number, cell in stats.by_dose_number if number == 1), None)
        rates = [rate for _severity, _cell, rate in stats.reactions if rate is not None]
        return {
            "total_doses": stats.total_doses.value or 0,
            "people_vaccinated": first or 0,
            "reactions_per_100k": round(sum(rates), 1),
            "per_day": [{"date": day, "doses": cell.value} for day, cell in stats.doses_by_day],
            "provinces": [
                {
                    "code": p.code,
                    "name": p.name,
                    "doses": p.doses.value,
                    "coverage": p.first_dose_coverage_pct,
                }
                for p in stats.provinces
            ],
            "vaccines": [
                {"code": mp, "name": name, "doses": cell.value} for mp, name, cell in stats.by_vaccine
            ],
            "groups": [
                {"code": code, "name_en": en, "name_vi": vi, "doses": cell.value}
                for code, en, vi, cell in stats.by_priority_group
            ],
            "dose_numbers": [{"dose_number": n, "doses": cell.value} for n, cell in stats.by_dose_number],
            "reactions": [
                {"severity": severity, "count": cell.value, "per_100k": rate}
                for severity, cell, rate in stats.reactions
            ],
            "notes": list(stats.notes),
        }

    @guarded
    def operations(self, *, now: datetime) -> dict[str, Any]:
        """The response center's view: targets, doses per day, stock, open serious reactions, projection lag."""
        from projections.queries import operations_overview

        today = now.astimezone(VIETNAM_TIME).date()
        overview = operations_overview(self.ledger, self.views, today=today, now=now)
        per_day: dict[str, int] = {}
        for site_day in overview.site_days:
            per_day[site_day.day] = per_day.get(site_day.day, 0) + site_day.doses
        return {
            "lag": [
                {
                    "name": lag.name,
                    "behind": lag.behind,
                    "seconds": round(lag.seconds, 1),
                    "position": lag.position,
                }
                for lag in overview.lag
            ],
            "targets": [
                {
                    "name": target.description,
                    "goal": f"{target.target_pct:.0f}% · {target.deadline}",
                    "progress": f"{target.current_pct:.2f}%",
                    "met": target.met,
                }
                for target in overview.targets
            ],
            "per_day": [{"date": day, "doses": n} for day, n in sorted(per_day.items())],
            "lots": [
                {
                    "vaccine": self.vaccine_name(lot.product),
                    "lot_number": lot.lot_number,
                    "expiry": lot.expiry,
                    "quantity": lot.remaining,
                    "near_expiry": lot.near_expiry,
                    "expired": lot.expired,
                }
                for lot in overview.lots
            ],
            "serious_open": len(overview.follow_ups),
            "notes": list(overview.notes),
        }

    def _audit_database(self) -> Any:
        if self.store.kind == "memory":
            raise Unavailable("the audit chain needs a SQLite or PostgreSQL ledger", key="error.unavailable")
        from projections.audit import Database

        return Database(self.store)

    def _pinned_audit_keys(self) -> list[Any]:
        from projections.audit import local_public_key

        key = local_public_key(self.key_dir)
        return [key] if key is not None else []

    @guarded
    def audit_overview(self) -> dict[str, Any]:
        from projections.audit import audit_status

        with self._audit_database() as db:
            status = audit_status(db)
        last = status.last_verification
        return {
            "ledger": status.ledger,
            "events": status.events,
            "chained": status.chained,
            "checkpoints": [
                {
                    "position": c.position,
                    "events": c.events,
                    "hash": c.link.hex(),
                    "at": c.signed_at,
                    "key": c.key_id,
                }
                for c in reversed(status.checkpoints[-50:])
            ],
            "last_verification": None
            if last is None
            else {"ok": last.ok, "message": last.message, "at": last.verified_at, "position": last.position},
        }

    @guarded
    def audit_verify(self, *, now: datetime) -> dict[str, Any]:
        """Replay the log against its chain (as `immunize audit verify`) and record the outcome."""
        from projections.audit import (
            TamperingDetected,
            Verification,
            record_verification,
            trusted_keys,
            verify,
        )

        with self._audit_database() as db:
            trusted = trusted_keys(db, self._pinned_audit_keys())
            try:
                report = verify(db, trusted)
            except TamperingDetected as exc:
                record_verification(db, Verification(now.isoformat(), False, 0, exc.position, str(exc)))
                return {"ok": False, "message": str(exc)}
            record_verification(
                db, Verification(now.isoformat(), True, report.events, report.position, report.summary())
            )
        return {"ok": True, "message": report.summary()}

    @guarded
    def audit_export(self, *, now: datetime) -> Iterator[bytes]:
        """The JSON Lines export, written to a temporary file first (so a break is an error, not half a file)."""
        import tempfile

        from projections.audit import trusted_keys, write_export

        spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the generator below
        try:
            with self._audit_database() as db:
                write_export(db, spool, trusted_keys(db, self._pinned_audit_keys()), now)
            spool.seek(0)
        except BaseException:
            spool.close()
            raise

        def chunks() -> Iterator[bytes]:
            with spool:
                while block := spool.read(64 * 1024):
                    yield block

        return chunks()
