"""The phone index: the web's keyed handle of a phone number -> the people it signs in for.

Only `HMAC(web secret, phone)` is stored (ViewKeys.phone), never the number: a copy of the
database without the web secret cannot tell whose phone is whose, nor test a guessed number. The
handle is of the one normalised form (ledger.phone), so numbers stored before the normaliser count.

Only holders are indexed: a dependant is reached through their guardian (people_directory). A phone
correction moves the person to the new handle; erasure takes them out.

Because the key is the web's, this view is keyed: it is built by the web process, which holds the
key and reads the log with personal data opened (the projections' sealed reader cannot see a
phone). A new web secret gives a new key check, and the view is rebuilt from the log on the next
start: lookups with the old key find nobody.
"""

from __future__ import annotations

from ledger.domainmodel import Person
from ledger.values import PersonalData
from projections.projection import Batch, ViewKeys, ViewNeedsKey, ViewProjection, handles
from projections.recorder import Table, ViewRecorder
from projections.store import ViewStore


class PhoneIndex(ViewProjection):
    """(phone handle, person) pairs for every holder with a phone."""

    name = "phone_index"
    version = 1
    keyed = True
    tables = (
        Table(
            "phones",
            ("phone_key TEXT NOT NULL", "person_id TEXT NOT NULL"),
            ("phone_key", "person_id"),
            indexes=(("person_id",),),
        ),
    )

    def __init__(self, view: ViewRecorder, keys: ViewKeys) -> None:
        super().__init__(view)
        self.keys = keys

    @classmethod
    def open(cls, store: ViewStore, keys: ViewKeys | None = None) -> PhoneIndex:
        if keys is None:
            raise ViewNeedsKey(f"The view {cls.name} is built with the web's key: run it in the web process.")
        return cls(cls.recorder(store, keys), keys)

    def _index(self, person_id: str, phone: PersonalData | None, batch: Batch, *, new: bool = False) -> None:
        if not new:
            batch.execute(f"DELETE FROM {self.t('phones')} WHERE person_id = ?", person_id)
        value = phone.value if phone is not None else None  # opened here, never stored
        key = self.keys.phone(value) if value else None
        if key:
            batch.insert(
                f"INSERT INTO {self.t('phones')} (phone_key, person_id) VALUES (?, ?)", key, person_id
            )

    @handles(Person.Registered)
    def _on_registered(self, e: Person.Registered, batch: Batch) -> None:
        if e.guardian_id is None:  # dependants are reached through the guardian
            self._index(str(e.originator_id), e.phone, batch, new=True)

    @handles(Person.PhoneCorrected)
    def _on_phone(self, e: Person.PhoneCorrected, batch: Batch) -> None:
        self._index(str(e.originator_id), e.phone, batch)

    @handles(Person.Erased)
    def _on_erased(self, e: Person.Erased, batch: Batch) -> None:
        self._index(str(e.originator_id), None, batch)
