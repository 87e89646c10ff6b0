"""Demo data for campaign operations: sessions at the demo sites, stock, registrations from the demo
people, today's and tomorrow's plans with their messages, a few doses given from appointments."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from ledger.campaign.values import Session
from ledger.errors import LedgerError
from ledger.values import Actor, Role
from services.campaign import CampaignService
from services.people import list_people

DEMO = Actor("demo-campaign", Role.SYSTEM)
PRODUCTS = ("EU/1/20/1528", "EU/1/21/1529", "BBIBP-CorV", "EU/1/20/1507")


def seed_campaign(
    service: CampaignService, site_ids: list[UUID], *, people: int = 200, doses: bool = False
) -> list[str]:
    """Set up the first demo sites for campaign operations (idempotent: keys derived from the day);
    with `doses`, a few of today's appointments are checked in and vaccinated."""
    ledger = service.ledger
    today = ledger.today()
    sites = site_ids[:2]
    for i, site_id in enumerate(sites):
        ledger.set_up_sessions(
            site_id=site_id,
            address=f"Số {i + 1} đường Nguyễn Trãi",
            sessions=[Session("morning", "07:30", "11:30", 40), Session("afternoon", "13:30", "16:30", 30)],
            actor=DEMO,
            idempotency_key=f"demo-campaign-sessions-{site_id}",
        )
        for product in PRODUCTS:
            ledger.receive_lot(
                product=product,
                lot_number=f"CAMP-{product[-4:]}-{i}",
                expiry=today + timedelta(days=120),
                site_id=site_id,
                quantity=300,
                actor=DEMO,
                idempotency_key=f"demo-campaign-lot-{site_id}-{product}",
            )
    registered = 0
    for n, record in enumerate(list_people(ledger, service.store, limit=people)):
        person = ledger.get_person(record.person_id)
        if person.erased:
            continue
        try:
            service.register(
                person=person.id,
                group=person.priority_group,
                site_id=sites[n % len(sites)],
                actor=DEMO,
                language="en" if n % 10 == 0 else "vi",
                idempotency_key=f"demo-campaign-reg-{person.id}",
            )
            registered += 1
        except LedgerError:
            continue  # already registered, or a next dose not due: the queue keeps the others
    booked = 0
    for day in (today, today + timedelta(days=1)):
        for site_id in sites:
            try:
                booked += sum(
                    len(s["appointments"]) for s in service.plan_day(site_id, day, actor=DEMO).sessions
                )
            except LedgerError:
                continue
    done = 0
    plan = service.day(sites[0], today) if sites else None
    lots = dict((product, lot) for lot, product, _ in service.lots_at(sites[0])) if sites else {}
    vaccinator = Actor("demo-vaccinator", Role.VACCINATOR, sites[0]) if sites else DEMO
    for session in plan.sessions if plan and doses else []:
        for a in session.appointments[:3]:
            try:
                service.check_in(a.appointment_id, actor=vaccinator)
                service.record_dose(a.appointment_id, lot_id=lots[a.product], actor=vaccinator)
                done += 1
            except (LedgerError, KeyError):
                continue
    pending = len(service.messages(status="pending", limit=100_000))
    return [
        f"campaign: {len(sites)} sites with sessions, {registered} registrations, {booked} appointments "
        f"today and tomorrow, {done} doses given from appointments, {pending} messages waiting to be sent"
    ]
