"""The campaign view: site schedules, the registration queue, day plans and appointments, the outbox,
kept replies, and doses (for check-ins and next doses due).

Stock is not repeated here: lots, their site and the doses used from them are the operations view's
(`lots`, `lot_use`), and `projections.site_stock_queries` reads both. No personal data: the outbox
rows hold the status and a keyed hash of the phone; numbers and texts stay sealed in the ledger.
"""

from __future__ import annotations

import json
from uuid import UUID

from ledger.campaign.messages import ATTEMPT_LEASE, InboundReply, Message
from ledger.campaign.plans import Appointment, DayPlan
from ledger.campaign.registrations import Registration
from ledger.campaign.sites import SiteSchedule
from ledger.campaign.values import format_opening_days
from ledger.domainmodel import Person
from projections.projection import Batch, ViewProjection, handles
from projections.recorder import Table

TABLES = (
    Table(
        "sites",
        (
            "site_id TEXT NOT NULL",
            "schedule_id TEXT NOT NULL",
            "name TEXT NOT NULL",
            "ward TEXT NOT NULL",
            "province TEXT NOT NULL",
            "address TEXT NOT NULL",
            "sessions TEXT NOT NULL",  # JSON: [[name, start, end, capacity], ...]
            "opening_days TEXT NOT NULL",
            "status TEXT NOT NULL",
        ),
        ("site_id",),
        indexes=(("province",), ("ward",), ("schedule_id",)),
    ),
    Table(
        "registrations",
        (
            "registration_id TEXT NOT NULL",
            "person_id TEXT NOT NULL",
            "dose_number BIGINT NOT NULL",
            "priority_group TEXT NOT NULL",
            "priority_rank BIGINT NOT NULL",
            "ward TEXT NOT NULL",
            "province TEXT NOT NULL",
            "site_id TEXT",
            "previous_product TEXT",
            "due_on TEXT NOT NULL",
            "queued_at TEXT NOT NULL",
            "status TEXT NOT NULL",
            "language TEXT NOT NULL",
            "appointment_id TEXT",
            "automatic BIGINT NOT NULL",
        ),
        ("registration_id",),
        indexes=(("status", "ward"), ("status", "site_id"), ("person_id",), ("status", "province")),
    ),
    Table(
        "plans",
        ("plan_id TEXT NOT NULL", "site_id TEXT NOT NULL", "day TEXT NOT NULL", "closed BIGINT NOT NULL"),
        ("plan_id",),
        indexes=(("site_id", "day"), ("day",)),
    ),
    Table(
        "sessions",
        (
            "plan_id TEXT NOT NULL",
            "position BIGINT NOT NULL",
            "name TEXT NOT NULL",
            "start_time TEXT NOT NULL",
            "end_time TEXT NOT NULL",
            "capacity BIGINT NOT NULL",
            "cancelled BIGINT NOT NULL",
        ),
        ("plan_id", "name"),
    ),
    Table(
        "appointments",
        (
            "appointment_id TEXT NOT NULL",
            "plan_id TEXT NOT NULL",
            "site_id TEXT NOT NULL",
            "day TEXT NOT NULL",
            "session TEXT NOT NULL",
            "seq BIGINT NOT NULL",
            "registration_id TEXT NOT NULL",
            "person_id TEXT NOT NULL",
            "priority_rank BIGINT NOT NULL",
            "dose_number BIGINT NOT NULL",
            "product TEXT NOT NULL",
            "status TEXT NOT NULL",
            "dose_id TEXT",
        ),
        ("appointment_id",),
        indexes=(("plan_id",), ("site_id", "day"), ("person_id",), ("day", "status")),
    ),
    Table(
        "messages",
        (
            "message_id TEXT NOT NULL",
            "person_id TEXT NOT NULL",
            "kind TEXT NOT NULL",
            "status TEXT NOT NULL",
            "appointment_id TEXT",
            "dose_id TEXT",
            "phone_digest TEXT",
            "queued_at TEXT NOT NULL",
            "attempts BIGINT NOT NULL",
            "next_try_at TEXT",
            "answer TEXT",
            "language TEXT NOT NULL",
            "encoding TEXT NOT NULL",
            "parts BIGINT NOT NULL",
        ),
        ("message_id",),
        indexes=(
            ("status", "next_try_at"),
            ("phone_digest",),
            ("person_id",),
            ("kind",),
            ("status", "queued_at", "message_id"),  # the sender's due query, oldest first
        ),
    ),
    Table(
        "replies",
        (
            "reply_id TEXT NOT NULL",
            "person_id TEXT NOT NULL",
            "message_id TEXT",
            "received_at TEXT NOT NULL",
            "handled BIGINT NOT NULL",
        ),
        ("reply_id",),
        indexes=(("handled",),),
    ),
    Table(
        "doses",
        (
            "dose_id TEXT NOT NULL",
            "person_id TEXT NOT NULL",
            "dose_number BIGINT NOT NULL",
            "product TEXT NOT NULL",
            "day TEXT NOT NULL",
            "site_id TEXT NOT NULL",
        ),
        ("dose_id",),
        indexes=(("day",), ("person_id",)),
    ),
)


class CampaignView(ViewProjection):
    """Sites, the queue, plans and appointments, the outbox, kept replies, doses by day."""

    name = "campaign"
    tables = TABLES

    # ---- sites ---------------------------------------------------------------------------------

    @handles(SiteSchedule.Configured)
    def _on_site(self, e: SiteSchedule.Configured, batch: Batch) -> None:
        batch.insert(
            f"INSERT INTO {self.t('sites')} (site_id, schedule_id, name, ward, province, address, sessions, "
            "opening_days, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            str(e.site_id),
            str(e.originator_id),
            e.name,
            e.ward_code,
            e.province_code,
            e.address,
            json.dumps(e.sessions),
            format_opening_days(e.opening_days),
            "open",
        )

    @handles(SiteSchedule.SessionsChanged)
    def _on_sessions(self, e: SiteSchedule.SessionsChanged, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('sites')} SET sessions = ?, opening_days = ? WHERE schedule_id = ?",
            json.dumps(e.sessions),
            format_opening_days(e.opening_days),
            str(e.originator_id),
        )

    @handles(SiteSchedule.PlaceChanged)
    def _on_place(self, e: SiteSchedule.PlaceChanged, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('sites')} SET ward = ?, address = ? WHERE schedule_id = ?",
            e.ward_code,
            e.address,
            str(e.originator_id),
        )

    @handles(SiteSchedule.StatusChanged)
    def _on_status(self, e: SiteSchedule.StatusChanged, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('sites')} SET status = ? WHERE schedule_id = ?",
            e.status,
            str(e.originator_id),
        )

    # ---- registrations -------------------------------------------------------------------------

    @handles(Registration.Registered)
    def _on_registered(self, e: Registration.Registered, batch: Batch) -> None:
        batch.insert(
            f"INSERT INTO {self.t('registrations')} (registration_id, person_id, dose_number, priority_group, "
            "priority_rank, ward, province, site_id, previous_product, due_on, queued_at, status, language, "
            "appointment_id, automatic) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            str(e.originator_id),
            str(e.person_id),
            e.dose_number,
            e.priority_group,
            e.priority_rank,
            e.ward_code,
            e.province_code,
            str(e.site_id) if e.site_id else None,
            e.previous_product,
            e.due_on.isoformat(),
            e.at.isoformat(),
            "waiting",
            e.language,
            None,
            int(e.automatic),
        )

    def _registration(self, batch: Batch, e: object, status: str, appointment: str | None) -> None:
        batch.execute(
            f"UPDATE {self.t('registrations')} SET status = ?, appointment_id = ? WHERE registration_id = ?",
            status,
            appointment,
            str(e.originator_id),  # type: ignore[attr-defined]
        )

    @handles(Registration.Booked)
    def _on_booked(self, e: Registration.Booked, batch: Batch) -> None:
        self._registration(batch, e, "booked", str(e.appointment_id))

    @handles(Registration.Released)
    def _on_released(self, e: Registration.Released, batch: Batch) -> None:
        self._registration(batch, e, "waiting", None)

    @handles(Registration.Withdrawn)
    def _on_withdrawn(self, e: Registration.Withdrawn, batch: Batch) -> None:
        self._registration(batch, e, "withdrawn", None)

    @handles(Registration.Fulfilled)
    def _on_fulfilled(self, e: Registration.Fulfilled, batch: Batch) -> None:
        self._registration(batch, e, "done", str(e.appointment_id) if e.appointment_id else None)

    @handles(Registration.Transferred)
    def _on_transferred(self, e: Registration.Transferred, batch: Batch) -> None:
        # Another ward's queue from now on; the priority and registration time stay.
        batch.execute(
            f"UPDATE {self.t('registrations')} SET ward = ?, province = ?, site_id = ? WHERE registration_id = ?",
            e.ward_code,
            e.province_code,
            str(e.site_id) if e.site_id else None,
            str(e.originator_id),
        )

    @handles(Registration.Renewed)
    def _on_renewed(self, e: Registration.Renewed, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('registrations')} SET status = 'waiting', priority_group = ?, priority_rank = ?, "
            "site_id = ?, language = ?, queued_at = ? WHERE registration_id = ?",
            e.priority_group,
            e.priority_rank,
            str(e.site_id) if e.site_id else None,
            e.language,
            e.at.isoformat(),
            str(e.originator_id),
        )

    # ---- plans and appointments ----------------------------------------------------------------

    @handles(DayPlan.Opened)
    def _on_plan(self, e: DayPlan.Opened, batch: Batch) -> None:
        plan = str(e.originator_id)
        batch.insert(
            f"INSERT INTO {self.t('plans')} (plan_id, site_id, day, closed) VALUES (?, ?, ?, 0)",
            plan,
            str(e.site_id),
            e.day.isoformat(),
        )
        batch.memo.setdefault("plans", {})[plan] = (str(e.site_id), e.day.isoformat())
        for position, (name, start, end, capacity) in enumerate(e.sessions):
            batch.insert(
                f"INSERT INTO {self.t('sessions')} (plan_id, position, name, start_time, end_time, capacity, "
                "cancelled) VALUES (?, ?, ?, ?, ?, ?, 0)",
                plan,
                position,
                name,
                start,
                end,
                capacity,
            )

    @handles(DayPlan.AppointmentsBooked)
    def _on_appointments(self, e: DayPlan.AppointmentsBooked, batch: Batch) -> None:
        plan = str(e.originator_id)
        site, day = batch.load(
            "plans", f"SELECT plan_id, site_id, day FROM {self.t('plans')}", "plan_id", [plan]
        )[plan]
        seq = e.originator_version * 100_000
        for i, entry in enumerate(e.entries):
            a = Appointment.from_entry(entry)
            batch.insert(
                f"INSERT INTO {self.t('appointments')} (appointment_id, plan_id, site_id, day, session, seq, "
                "registration_id, person_id, priority_rank, dose_number, product, status, dose_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'booked', NULL)",
                str(a.appointment_id),
                plan,
                site,
                day,
                a.session,
                seq + i,
                str(a.registration_id),
                str(a.person_id),
                a.priority_rank,
                a.dose_number,
                a.product,
            )

    def _appointment(self, batch: Batch, appointment: str, status: str, dose: str | None = None) -> None:
        batch.execute(
            f"UPDATE {self.t('appointments')} SET status = ?, dose_id = COALESCE(?, dose_id) "
            "WHERE appointment_id = ?",
            status,
            dose,
            appointment,
        )

    @handles(DayPlan.AppointmentCancelled)
    def _on_cancelled(self, e: DayPlan.AppointmentCancelled, batch: Batch) -> None:
        self._appointment(batch, str(e.appointment_id), "cancelled")

    @handles(DayPlan.SessionCancelled)
    def _on_session_cancelled(self, e: DayPlan.SessionCancelled, batch: Batch) -> None:
        plan = str(e.originator_id)
        batch.execute(
            f"UPDATE {self.t('sessions')} SET cancelled = 1 WHERE plan_id = ? AND name = ?", plan, e.session
        )
        batch.execute(
            f"UPDATE {self.t('appointments')} SET status = 'cancelled' "
            "WHERE plan_id = ? AND session = ? AND status = 'booked'",
            plan,
            e.session,
        )

    @handles(DayPlan.ArrivalRecorded)
    def _on_arrival(self, e: DayPlan.ArrivalRecorded, batch: Batch) -> None:
        self._appointment(batch, str(e.appointment_id), "arrived")

    @handles(DayPlan.DoseLinked)
    def _on_dose_linked(self, e: DayPlan.DoseLinked, batch: Batch) -> None:
        self._appointment(batch, str(e.appointment_id), "done", str(e.dose_id))

    @handles(DayPlan.NoShowMarked)
    def _on_no_show(self, e: DayPlan.NoShowMarked, batch: Batch) -> None:
        self._appointment(batch, str(e.appointment_id), "no_show")

    @handles(DayPlan.LateArrivalRecorded)
    def _on_late_arrival(self, e: DayPlan.LateArrivalRecorded, batch: Batch) -> None:
        self._appointment(batch, str(e.appointment_id), "arrived")

    @handles(DayPlan.DayClosed)
    def _on_closed(self, e: DayPlan.DayClosed, batch: Batch) -> None:
        batch.execute(f"UPDATE {self.t('plans')} SET closed = 1 WHERE plan_id = ?", str(e.originator_id))
        for hex_id in e.no_shows:
            self._appointment(batch, str(UUID(hex=hex_id)), "no_show")

    # ---- the outbox ----------------------------------------------------------------------------

    @handles(Message.Queued)
    def _on_queued(self, e: Message.Queued, batch: Batch) -> None:
        batch.insert(
            f"INSERT INTO {self.t('messages')} (message_id, person_id, kind, status, appointment_id, dose_id, "
            "phone_digest, queued_at, attempts, next_try_at, answer, language, encoding, parts) "
            "VALUES (?, ?, ?, 'pending', ?, ?, NULL, ?, 0, ?, NULL, ?, ?, ?)",
            str(e.originator_id),
            str(e.person_id),
            e.kind,
            str(e.appointment_id) if e.appointment_id else None,
            str(e.dose_id) if e.dose_id else None,
            e.at.isoformat(),
            e.at.isoformat(),
            e.language,
            e.encoding,
            e.parts,
        )

    @handles(Message.AttemptStarted)
    def _on_attempt(self, e: Message.AttemptStarted, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('messages')} SET status = 'sending', attempts = attempts + 1, phone_digest = ?, "
            "next_try_at = ? WHERE message_id = ?",
            e.phone_digest or None,
            (e.at + ATTEMPT_LEASE).isoformat(),  # when another sender may resume it (its sender died)
            str(e.originator_id),
        )

    @handles(Message.Delivered)
    def _on_delivered(self, e: Message.Delivered, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('messages')} SET status = 'sent', next_try_at = NULL WHERE message_id = ?",
            str(e.originator_id),
        )

    @handles(Message.AttemptFailed)
    def _on_failed(self, e: Message.AttemptFailed, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('messages')} SET status = ?, next_try_at = ? WHERE message_id = ?",
            "pending" if e.next_try_at is not None else "failed",
            e.next_try_at.isoformat() if e.next_try_at is not None else None,
            str(e.originator_id),
        )

    @handles(Message.Withdrawn)
    def _on_message_withdrawn(self, e: Message.Withdrawn, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('messages')} SET status = 'withdrawn', next_try_at = NULL WHERE message_id = ?",
            str(e.originator_id),
        )

    @handles(Message.Answered)
    def _on_answered(self, e: Message.Answered, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('messages')} SET answer = ? WHERE message_id = ?", e.answer, str(e.originator_id)
        )

    @handles(InboundReply.Kept)
    def _on_reply(self, e: InboundReply.Kept, batch: Batch) -> None:
        batch.insert(
            f"INSERT INTO {self.t('replies')} (reply_id, person_id, message_id, received_at, handled) "
            "VALUES (?, ?, ?, ?, 0)",
            str(e.originator_id),
            str(e.person_id),
            str(e.message_id) if e.message_id else None,
            e.at.isoformat(),
        )

    @handles(InboundReply.Handled)
    def _on_reply_handled(self, e: InboundReply.Handled, batch: Batch) -> None:
        batch.execute(f"UPDATE {self.t('replies')} SET handled = 1 WHERE reply_id = ?", str(e.originator_id))

    # ---- doses (for check-ins and next doses due) ----------------------------------------------

    @handles(Person.DoseAdministered)
    def _on_dose(self, e: Person.DoseAdministered, batch: Batch) -> None:
        batch.insert(
            f"INSERT INTO {self.t('doses')} (dose_id, person_id, dose_number, product, day, site_id) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            str(e.dose_id),
            str(e.originator_id),
            e.dose_number,
            e.product,
            e.administered_on.isoformat(),
            str(e.site_id),
        )

    @handles(Person.DoseCorrected)
    def _on_dose_corrected(self, e: Person.DoseCorrected, batch: Batch) -> None:
        batch.execute(
            f"UPDATE {self.t('doses')} SET product = ?, day = ?, site_id = ? WHERE dose_id = ?",
            e.product,
            e.administered_on.isoformat(),
            str(e.site_id),
            str(e.dose_id),
        )

    @handles(Person.DoseVoided)
    def _on_dose_voided(self, e: Person.DoseVoided, batch: Batch) -> None:
        batch.execute(f"DELETE FROM {self.t('doses')} WHERE dose_id = ?", str(e.dose_id))

    @handles(Person.Erased)
    def _on_erased(self, e: Person.Erased, batch: Batch) -> None:
        person = str(e.originator_id)
        for table in ("registrations", "appointments", "messages", "replies", "doses"):
            batch.execute(f"DELETE FROM {self.t(table)} WHERE person_id = ?", person)
