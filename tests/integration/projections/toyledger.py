"""A toy ledger for testing the projection framework on its own: patients who get doses."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from ledger.settings import parse_database_url
from projections.projection import Batch, ViewProjection, handles
from projections.recorder import Table


class Patient(Aggregate):
    """A person who gets doses; `forget` stands for erasure."""

    @event("Registered")
    def __init__(self, province: str) -> None:
        self.province = province
        self.doses = 0

    @event("Dosed")
    def dose(self, vaccine: str) -> None:
        self.doses += 1

    @event("Noted")
    def note(self, text: str) -> None:
        """An event the tally view ignores."""

    @event("Forgotten")
    def forget(self) -> None:
        self.province = ""


class Clinic(Application[UUID]):
    """The toy application: one log of patient events."""

    name = "Clinic"

    def register(self, province: str) -> UUID:
        patient = Patient(province)
        self.save(patient)
        return patient.id

    def register_many(self, provinces: list[str], doses_each: int = 0) -> list[UUID]:
        patients = [Patient(p) for p in provinces]
        for patient in patients:
            for _ in range(doses_each):
                patient.dose("CO")
        self.save(*patients)
        return [p.id for p in patients]

    def dose(self, patient_id: UUID, vaccine: str = "CO") -> None:
        patient: Patient = self.repository.get(patient_id)
        patient.dose(vaccine)
        self.save(patient)

    def note(self, patient_id: UUID, text: str) -> None:
        patient: Patient = self.repository.get(patient_id)
        patient.note(text)
        self.save(patient)

    def forget(self, patient_id: UUID) -> None:
        patient: Patient = self.repository.get(patient_id)
        patient.forget()
        self.save(patient)


def clinic_for(url: str) -> Clinic:
    """A Clinic on the store named by an IMMUNIZE_DATABASE_URL-style URL."""
    return Clinic(env=parse_database_url(url).eventsourcing_env())


class Tally(ViewProjection):
    """Doses per province and vaccine (counters), and one row per patient (forgotten ones marked)."""

    name = "tally"
    tables = (
        Table(
            "doses",
            ("province TEXT NOT NULL", "vaccine TEXT NOT NULL", "doses BIGINT NOT NULL"),
            ("province", "vaccine"),
        ),
        Table(
            "patients",
            (
                "patient_id TEXT NOT NULL",
                "province TEXT",
                "doses BIGINT NOT NULL",
                "forgotten INTEGER NOT NULL",
            ),
            ("patient_id",),
        ),
    )

    def prefetch(self, events: Any, batch: Batch) -> None:
        batch.load(
            "patients",
            f"SELECT patient_id, province FROM {self.t('patients')}",
            "patient_id",
            (str(e.originator_id) for e in events if not isinstance(e, Patient.Registered)),
        )

    @handles(Patient.Registered)
    def on_registered(self, e: Any, batch: Batch) -> None:
        batch.execute(
            f"INSERT INTO {self.t('patients')} (patient_id, province, doses, forgotten) VALUES (?, ?, 0, 0)",
            str(e.originator_id),
            e.province,
        )
        batch.memo["patients"][str(e.originator_id)] = (e.province,)

    @handles(Patient.Dosed)
    def on_dosed(self, e: Any, batch: Batch) -> None:
        (province,) = batch.memo["patients"][str(e.originator_id)]
        batch.count(
            f"INSERT INTO {self.t('doses')} (province, vaccine, doses) VALUES (?, ?, ?) "
            f"ON CONFLICT (province, vaccine) DO UPDATE SET doses = {self.t('doses')}.doses + excluded.doses",
            (province, e.vaccine),
            1,
        )
        batch.execute(
            f"UPDATE {self.t('patients')} SET doses = doses + 1 WHERE patient_id = ?", str(e.originator_id)
        )

    @handles(Patient.Forgotten)
    def on_forgotten(self, e: Any, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('patients')} SET province = NULL, forgotten = 1 WHERE patient_id = ?",
            str(e.originator_id),
        )


def new_patient_id() -> UUID:
    return uuid4()
