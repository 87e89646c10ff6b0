"""Use cases: recording doses (one or a batch), correcting and voiding them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger import checks, permissions
from ledger.base import LedgerBase
from ledger.campaign.stock import SiteLotStock
from ledger.commands import Outcome
from ledger.domainmodel import Person, VaccinationSite, VaccineLot
from ledger.errors import (
    DoseBeforeBirth,
    DoseDateInFuture,
    InvalidInput,
    LedgerError,
    LotExpired,
    LotWrongProduct,
    PersonErasedError,
    PersonNotFound,
)
from ledger.records import DoseRecorded, DoseRequest
from ledger.rules import check_lot_at_site
from ledger.stock_records import LockedDraws
from ledger.values import Actor, PartialDate


class DoseCommands(LedgerBase):
    """Record, correct and void doses."""

    def stock_record(self, lot_id: UUID) -> SiteLotStock | None:
        """The stock record of a site lot allocated from a province store, read afresh; None for a lot
        received straight at a site."""
        return self.stock_records.get(lot_id)

    def dose_lot(self, lot_id: UUID) -> VaccineLot:
        """A lot as the dose form reads it (product, number, expiry: they never change), from this
        process's cache (the desk's dose path reads no lot from the store)."""
        return self._cached(self._lot_cache, checks.as_uuid(lot_id, "lot"), self.get_lot)

    def give_back_stock(self, lot_id: UUID, day: date, actor: Actor, at: datetime) -> list[Aggregate]:
        """A voided (or re-lotted) dose gives its dose back to its site allocation; returns the stock
        record to save with the correction (none for a lot received straight at a site)."""
        found = self.stock_record(lot_id)
        if found is None:
            return []
        found.give_back(day=day, doses=1, actor=actor, at=at)
        return [found]

    def draw_stock(
        self,
        draws: Sequence[tuple[UUID, date]],
        actor: Actor,
        at: datetime,
        read: dict[UUID, SiteLotStock | None] | None = None,
    ) -> LockedDraws | None:
        """Doses (lot, day) drawn from their site allocations in the dose's transaction, under the
        writers' lock (ledger.locked_writes: two doses from one lot never conflict); give the result
        to the command's Outcome as `locked` (None: no lot has a stock record). `read`: copies of the
        records the command's checks hold (any version: they are brought up to date under the lock)."""
        return self.stock_records.locked(draws, actor, at, read if read is not None else {})

    def record_dose(
        self,
        *,
        person_id: UUID,
        dose_number: int | None,
        product: str,
        lot_id: UUID,
        administered_on: date,
        site_id: UUID,
        actor: Actor,
        idempotency_key: str,
        vaccinator_id: str | None = None,
    ) -> DoseRecorded:
        """Record one dose, checking sequence, interval, dates, lot and who records where.
        `dose_number` None: the person's next (the desk's form), read with the command's own read of the
        person and fixed at its first attempt (a retry after a conflict does not move it on: a dose
        recorded for them meanwhile refuses this one, as a number read beforehand did)."""
        request = DoseRequest(
            person_id=checks.as_uuid(person_id, "person"),
            dose_number=1 if dose_number is None else dose_number,  # 1: checked as a number, replaced
            product=product,
            lot_id=checks.as_uuid(lot_id, "lot"),
            administered_on=checks.as_date(administered_on, "dose date"),
            site_id=checks.as_uuid(site_id, "site"),
            vaccinator_id=vaccinator_id,
        )
        return self._record_doses(
            "record_dose", [request], actor, idempotency_key, next_number=dose_number is None
        )[0]

    def record_doses(
        self, batch: Sequence[DoseRequest], *, actor: Actor, idempotency_key: str
    ) -> list[DoseRecorded]:
        """Record a batch of doses in one transaction (all or nothing; one idempotency key for the batch)."""
        checks.batch_size(len(batch), "dose", "doses")
        return self._record_doses("record_doses", list(batch), actor, idempotency_key)

    def _record_doses(
        self,
        command: str,
        batch: list[DoseRequest],
        actor: Actor,
        idempotency_key: str,
        *,
        next_number: bool = False,
    ) -> list[DoseRecorded]:
        permissions.require_staff(actor, "vaccination staff record doses")
        today = self.today()
        lots: dict[UUID, VaccineLot] = {}
        sites: dict[UUID, VaccinationSite] = {}
        checked: list[tuple[DoseRequest, int | None, str]] = []
        stocks: dict[UUID, SiteLotStock | None] = {}
        for index, item in enumerate(batch):
            where = f"dose {index + 1} of the batch: " if len(batch) > 1 else ""
            try:
                checked.append(self._check_dose(item, actor, today, lots, sites, stocks=stocks))
            except LedgerError as exc:
                raise exc.again(where) from exc
        # The fingerprint's input, built by hand: str(UUID) and json's default hook are slow per dose.
        args = {
            "doses": "\n".join(
                f"{r.person_id.hex}|{r.dose_number}|{r.product}|{r.lot_id.hex}|{r.administered_on}|"
                f"{r.site_id.hex}|{r.vaccinator_id}"
                for r in batch
            ),
            "actor": actor,
        }
        if next_number:
            args["next"] = True  # not the same request as dose 1 given explicitly
        pinned: list[int] = []  # the next number, fixed at the first attempt

        def attempt(at: datetime, loaded: dict[UUID, Aggregate]) -> Outcome:
            people = {i: p for i, p in loaded.items() if isinstance(p, Person)}
            results = []
            for index, (item, interval, vaccinator) in enumerate(checked):
                where = f"dose {index + 1} of the batch: " if len(batch) > 1 else ""
                person = people.get(item.person_id)
                if person is None:
                    raise PersonNotFound(f"{where}No person {item.person_id}: register them first.")
                number = item.dose_number
                if next_number:
                    if not pinned:
                        pinned.append(person.next_dose_number)
                    number = pinned[0]
                try:
                    self._check_birth(person, item.administered_on)
                    dose_id = self.new_id()
                    lot = lots[item.lot_id]
                    previous = person.active_doses[-1].product if person.active_doses else None
                    person.administer_dose(
                        dose_id=dose_id,
                        dose_number=number,
                        product=item.product,
                        lot_id=lot.id,
                        lot_number=lot.lot_number,
                        administered_on=item.administered_on,
                        site_id=item.site_id,
                        vaccinator_id=vaccinator,
                        min_interval_days=self._interval(previous, item.product) if previous else interval,
                        actor=actor,
                        at=at,
                    )
                except LedgerError as exc:
                    if not where:
                        raise
                    raise exc.again(where) from exc
                results.append(DoseRecorded(person.id, dose_id, number, person.doses[-1].mixed_products))
            # A compact receipt: the dose ids and mixed flags; person and number come from the request
            # (the number from here when it was the person's next).
            compact: dict[str, Any] = {
                "dose_ids": "".join(r.dose_id.hex for r in results),
                "mixed": "".join("1" if r.mixed_products else "0" for r in results),
            }
            if next_number:
                compact["number"] = results[0].dose_number
            drawn = self.draw_stock([(r.lot_id, r.administered_on) for r in batch], actor, at, stocks)
            return Outcome(list(people.values()), compact, locked=drawn)

        # The receipt and the people in one read (ledger.commands.run_command_loaded).
        result = self.run_command_loaded(
            command, idempotency_key, args, [r.person_id for r in batch], attempt
        )
        if "doses" in result:  # receipts written before the compact form
            return [DoseRecorded.from_result(r) for r in result["doses"]]
        ids, mixed = result["dose_ids"], result["mixed"]
        return [
            DoseRecorded(
                item.person_id,
                UUID(hex=ids[32 * i : 32 * i + 32]),
                int(result["number"]) if "number" in result else item.dose_number,
                mixed[i] == "1",
            )
            for i, item in enumerate(batch)
        ]

    def _check_dose(
        self,
        item: DoseRequest,
        actor: Actor,
        today: date,
        lots: dict[UUID, VaccineLot],
        sites: dict[UUID, VaccinationSite],
        *,
        drawing: bool = True,
        stocks: dict[UUID, SiteLotStock | None] | None = None,
    ) -> tuple[DoseRequest, int | None, str]:
        """Checks that need no person: product, lot, site, dates, who records where (`drawing`: the dose
        takes a dose from the lot's stock, so the lot must still hold one)."""
        if not isinstance(item, DoseRequest):
            raise InvalidInput("Each dose must be a DoseRequest.")
        checks.dose_number(item.dose_number)
        vaccine = self.reference.vaccine(item.product)
        day = checks.as_date(item.administered_on, "dose date")
        if day > today:
            raise DoseDateInFuture(
                f"The dose date {day} is in the future (today is {today}): check the date.",
                given_on=day,
                today=today,
            )
        if item.site_id not in sites:
            sites[item.site_id] = self._cached(self._site_cache, item.site_id, self.get_site)
        permissions.require_at_site(actor, item.site_id)
        permissions.require_in_province(actor, sites[item.site_id].province_code)
        if item.lot_id not in lots:
            lots[item.lot_id] = self._cached(self._lot_cache, item.lot_id, self.get_lot)
        lot = lots[item.lot_id]
        stock = None
        if drawing:  # read once per lot of a batch (`stocks`); the draw under the lock checks again
            if stocks is not None and lot.id in stocks:
                stock = stocks[lot.id]
            else:
                # This process's latest copy, no read: possibly behind, so only an "enough" is trusted;
                # a "not enough" is read afresh (another worker may have given doses back).
                stock = self.stock_records.peek(lot.id)
                if stock is not None and stock.available_on(day) < 1:
                    stock = self.stock_record(lot.id)
                if stocks is not None:
                    stocks[lot.id] = stock
        if lot.site_id != item.site_id or (stock is not None and stock.site_id != item.site_id):
            # This process's copies may be behind a move made elsewhere (`transfer_lot`): read both
            # afresh before refusing (a lot moved here is taken at once; the draw under the lock
            # refuses one moved away since, ledger.stock_records.LockedDraws).
            lot = lots[item.lot_id] = self._lot_cache[item.lot_id] = self.get_lot(item.lot_id)
            if stock is not None:
                stock = self.stock_record(lot.id)
                if stocks is not None:
                    stocks[lot.id] = stock
        # The site first, then the product and the expiry (the dose's own sentences), then what is left.
        check_lot_at_site(lot_number=lot.lot_number, lot_site_id=lot.site_id, site_id=item.site_id)
        if lot.product != vaccine.mp:
            lot_vaccine = self.reference.vaccines.get(lot.product)
            raise LotWrongProduct(
                f"Lot {lot.lot_number} is {lot.product}, not {vaccine.mp}: pick the lot of the vaccine given.",
                lot_number=lot.lot_number,
                lot_product=lot_vaccine.name if lot_vaccine is not None else lot.product,
                product=vaccine.name,
            )
        if not lot.usable_on(day):
            raise LotExpired(
                f"Lot {lot.lot_number} expired on {lot.expiry}, before the dose date {day}: do not use it; "
                "record the lot actually used.",
                lot_number=lot.lot_number,
                expiry=lot.expiry,
                given_on=day,
            )
        if stock is not None:
            check_lot_at_site(
                lot_number=lot.lot_number,
                lot_site_id=lot.site_id,
                site_id=item.site_id,
                day=day,
                expiry=lot.expiry,
                available=stock.available_on(day),
            )
        vaccinator = (
            actor.actor_id
            if item.vaccinator_id is None
            else checks.text(item.vaccinator_id, "vaccinator id", 100)
        )
        return item, vaccine.min_interval_days, vaccinator

    def _interval(self, previous_product: str, product: str) -> int | None:
        """Minimum days between doses (`Reference.min_days_between`)."""
        return self.reference.min_days_between(previous_product, product)

    @staticmethod
    def _check_birth(person: Person, day: date) -> None:
        if person.erased:
            raise PersonErasedError("This person was erased: nothing more can be recorded for them.")
        if day.year > person.birth_year:
            return  # decided by the clear birth year: no need to decrypt the date of birth
        if person.date_of_birth.value is None:
            raise PersonErasedError("This person was erased: nothing more can be recorded for them.")
        born = PartialDate.parse(person.date_of_birth.value)
        if day < born.earliest():
            raise DoseBeforeBirth(
                f"The dose date {day} is before the date of birth: check both dates.", given_on=day
            )

    def correct_dose(
        self,
        *,
        person_id: UUID,
        dose_id: UUID,
        reason: str,
        actor: Actor,
        idempotency_key: str,
        product: str | None = None,
        lot_id: UUID | None = None,
        administered_on: date | None = None,
        site_id: UUID | None = None,
        vaccinator_id: str | None = None,
    ) -> None:
        """Correct a dose's details (only the ones given change), with a reason."""
        reason = checks.text(reason, "reason", 500)
        permissions.require_staff(actor, "vaccination staff correct doses")
        person_id = checks.as_uuid(person_id, "person")
        dose_id = checks.as_uuid(dose_id, "dose")
        args = {
            "p": person_id,
            "d": dose_id,
            "why": reason,
            "product": product,
            "lot": lot_id,
            "date": administered_on,
            "site": site_id,
            "vac": vaccinator_id,
            "actor": actor,
        }

        def attempt(at: datetime) -> Outcome:
            person = self.get_person(person_id)
            current = person.dose(dose_id)
            item = DoseRequest(
                person_id=person_id,
                dose_number=current.dose_number,
                product=product if product is not None else current.product,
                lot_id=checks.as_uuid(lot_id, "lot") if lot_id is not None else current.lot_id,
                administered_on=checks.as_date(administered_on, "dose date")
                if administered_on is not None
                else current.administered_on,
                site_id=checks.as_uuid(site_id, "site") if site_id is not None else current.site_id,
                vaccinator_id=vaccinator_id if vaccinator_id is not None else current.vaccinator_id,
            )
            lots: dict[UUID, VaccineLot] = {}
            relotted = item.lot_id != current.lot_id
            _, _, vaccinator = self._check_dose(item, actor, self.today(), lots, {}, drawing=relotted)
            self._check_birth(person, item.administered_on)
            stock: list[Aggregate] = []
            drawn = None
            if relotted:
                stock = self.give_back_stock(current.lot_id, current.administered_on, actor, at)
                drawn = self.draw_stock([(item.lot_id, item.administered_on)], actor, at)
            person.correct_dose(
                dose_id=dose_id,
                product=item.product,
                lot_id=item.lot_id,
                lot_number=lots[item.lot_id].lot_number,
                administered_on=item.administered_on,
                site_id=item.site_id,
                vaccinator_id=vaccinator,
                reason=reason,
                actor=actor,
                at=at,
            )
            return Outcome([person, *stock], {}, locked=drawn)

        self.run_command("correct_dose", idempotency_key, args, attempt)

    def void_dose(
        self, *, person_id: UUID, dose_id: UUID, reason: str, actor: Actor, idempotency_key: str
    ) -> None:
        """Void a dose recorded by mistake, with a reason; later doses are renumbered."""
        reason = checks.text(reason, "reason", 500)
        permissions.require_staff(actor, "vaccination staff void doses")
        person_id = checks.as_uuid(person_id, "person")
        dose_id = checks.as_uuid(dose_id, "dose")

        def attempt(at: datetime) -> Outcome:
            person = self.get_person(person_id)
            dose_site = person.dose(dose_id).site_id
            permissions.require_may_void(actor, dose_site, self.get_site(dose_site).province_code)
            dose = person.dose(dose_id)
            person.void_dose(dose_id=dose_id, reason=reason, actor=actor, at=at)
            given_back = self.give_back_stock(dose.lot_id, dose.administered_on, actor, at)
            return Outcome([person, *given_back], {})

        self.run_command(
            "void_dose",
            idempotency_key,
            {"p": person_id, "d": dose_id, "why": reason, "actor": actor},
            attempt,
        )
