"""The declared-ID index: the web's keyed handle of a national ID a citizen typed online -> the people
holding it, not yet confirmed by staff.

A self-registration holds the number without claiming it (an unverified claim typed online could block
the real owner, issue 12 item 10), so the ledger's claim index cannot find it: this view lets the desk
find the person by the number they typed, marked as not yet confirmed. Several people may hold one
number (only the card tells who owns it), so a handle maps to a list.

Only `HMAC(web secret, "national_id:" + number)` is stored (ViewKeys.national_id), never the number,
as in the phone index: a copy of the database without the web secret cannot test a guessed number.
Staff confirming the card moves the number to the ledger's claim index (the row goes); erasure takes
the person out. Keyed with the web's key like phone_index: a new web secret rebuilds it from the log.
"""

from __future__ import annotations

from ledger.domainmodel import Person
from projections.projection import Batch, ViewKeys, ViewNeedsKey, ViewProjection, handles
from projections.recorder import Table, ViewRecorder
from projections.store import ViewStore


class DeclaredIdIndex(ViewProjection):
    """(national ID handle, person) pairs for every national ID held without a claim."""

    name = "declared_id_index"
    version = 1
    keyed = True
    tables = (
        Table(
            "declared_ids",
            ("id_key TEXT NOT NULL", "person_id TEXT NOT NULL"),
            ("id_key", "person_id"),
            indexes=(("person_id",),),
        ),
    )

    def __init__(self, view: ViewRecorder, keys: ViewKeys) -> None:
        super().__init__(view)
        self.keys = keys

    @classmethod
    def open(cls, store: ViewStore, keys: ViewKeys | None = None) -> DeclaredIdIndex:
        if keys is None:
            raise ViewNeedsKey(f"The view {cls.name} is built with the web's key: run it in the web process.")
        return cls(cls.recorder(store, keys), keys)

    def _forget(self, person_id: str, batch: Batch) -> None:
        batch.execute(f"DELETE FROM {self.t('declared_ids')} WHERE person_id = ?", person_id)

    @handles(Person.NationalIdHeld)
    def _on_held(self, e: Person.NationalIdHeld, batch: Batch) -> None:
        person_id = str(e.originator_id)
        self._forget(person_id, batch)
        number = e.national_id.value  # opened here, never stored
        key = self.keys.national_id(number) if number else None
        if key:
            batch.insert(
                f"INSERT INTO {self.t('declared_ids')} (id_key, person_id) VALUES (?, ?)", key, person_id
            )

    @handles(Person.NationalIdConfirmed)
    def _on_confirmed(self, e: Person.NationalIdConfirmed, batch: Batch) -> None:
        self._forget(str(e.originator_id), batch)  # the ledger's claim index finds them now

    @handles(Person.Erased)
    def _on_erased(self, e: Person.Erased, batch: Batch) -> None:
        self._forget(str(e.originator_id), batch)
