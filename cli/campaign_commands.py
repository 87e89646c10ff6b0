"""Campaign operations from a shell: `immunize site|registration|plan|appointment|messages` (stock: cli/stock_commands.py).

Operators act as `--actor` (default "cli-operator") in `--role` (default province_officer), of
`--actor-province` (or IMMUNIZE_ACTOR_PROVINCE: a province officer acts only there). Every
command goes through services.campaign, like the web pages and the API.
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import click

from cli.ledger_context import open_ledger
from ledger.application import Ledger
from ledger.campaign.errors import CampaignInputInvalid, SenderShardInvalid
from ledger.campaign.quiet_hours import QuietHours
from ledger.campaign.values import MessageKind, Session, parse_opening_days
from ledger.errors import InvalidInput
from ledger.values import Actor, Role
from projections.site_queries import all_site_ids
from projections.store import open_view_store
from services.campaign import CampaignService
from services.campaign_demo import seed_campaign
from services.outbox_sender import ResidentSender, SenderSettings
from services.sms_gateways import Gateway, gateway_from_settings


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@contextmanager
def campaign_service() -> Iterator[CampaignService]:
    """The campaign service on IMMUNIZE_DATABASE_URL (ledger and views), closed afterwards."""
    with open_ledger() as ledger:
        store = open_view_store(ledger.store)
        try:
            yield CampaignService(ledger, store)
        finally:
            store.close()


def _actor(actor_id: str, role: str, site: str | None = None) -> Actor:
    try:
        site_id = UUID(site) if site else None
    except ValueError:
        raise InvalidInput(
            f"--actor-site {site!r} is not a site id: copy it from `immunize site list`."
        ) from None
    context = click.get_current_context(silent=True)
    province = context.meta.get(PROVINCE_META) if context is not None else None
    return Actor(actor_id, Role(role), site_id, province or None)


PROVINCE_META = "immunize.actor_province"


def _keep_province(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    """--actor-province goes to the context, so every command's `_actor` carries it."""
    ctx.meta[PROVINCE_META] = value


ROLE = click.Choice([r.value for r in Role])
actor_options = [
    click.option("--actor", "actor_id", default="cli-operator", show_default=True, help="Who is acting."),
    click.option("--role", default=Role.PROVINCE_OFFICER.value, type=ROLE, show_default=True),
    click.option("--actor-site", default=None, help="The acting staff's own site (site staff, vaccinators)."),
    click.option(
        "--actor-province",
        default=None,
        envvar="IMMUNIZE_ACTOR_PROVINCE",
        expose_value=False,
        callback=_keep_province,
        help="The acting province officer's province (GSO code): they act only there.",
    ),
]


F = TypeVar("F", bound=Any)


def with_actor(f: F) -> F:
    """Add --actor, --role, --actor-site and --actor-province to a command."""
    for option in reversed(actor_options):
        f = option(f)
    return f


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CampaignInputInvalid(f"The date {text!r} is not a date: use YYYY-MM-DD.") from None


def seed_campaign_demo(ledger: Ledger, *, doses: bool = False) -> list[str]:
    """Campaign demo data on a freshly seeded demo ledger (nothing when campaign sites exist already)."""
    store = open_view_store(ledger.store)
    try:
        service = CampaignService(ledger, store)
        service.refresh()
        if service.sites():
            return []
        return seed_campaign(service, all_site_ids(store), doses=doses)
    finally:
        store.close()


# ---- sites -------------------------------------------------------------------------------------


@click.group("site")
def site() -> None:
    """Vaccination sites with their sessions and capacity."""


@site.command("list")
@click.option("--province", default=None, help="GSO province code, e.g. 01 (Hà Nội).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def site_list(province: str | None, as_json: bool) -> None:
    """List campaign sites (a province's, or all)."""
    with campaign_service() as service:
        rows = service.sites(province=province)
    if as_json:
        _echo_json([r.as_json() for r in rows])
        return
    for r in rows:
        sessions = ", ".join(f"{s['name']} {s['start']}-{s['end']}/{s['capacity']}" for s in r.sessions)
        click.echo(f"{r.site_id}  {r.code:<12} {r.name} ({r.ward}, {r.province}) [{r.status}] {sessions}")


@site.command("add")
@click.option("--code", required=True, help="The site's code, e.g. VN-01-0001.")
@click.option("--name", required=True)
@click.option("--ward", "ward_code", required=True, help="GSO ward code (wards.csv).")
@click.option("--address", default="", help="Street address shown in appointment messages.")
@click.option(
    "--session",
    "sessions",
    multiple=True,
    help="name=HH:MM-HH:MM/capacity, repeatable (default morning=07:30-11:30/200 and afternoon=13:30-16:30/200).",
)
@click.option("--days", default="daily", show_default=True, help="Opening days: mon,tue,... or daily.")
@click.option("--json", "as_json", is_flag=True, help="Print the site as JSON.")
@with_actor
def site_add(
    code: str,
    name: str,
    ward_code: str,
    address: str,
    sessions: tuple[str, ...],
    days: str,
    as_json: bool,
    actor_id: str,
    role: str,
    actor_site: str | None,
) -> None:
    """Add a site with its sessions and opening days."""
    parsed = [Session.parse(s) for s in sessions] or [
        Session("morning", "07:30", "11:30", 200),
        Session("afternoon", "13:30", "16:30", 200),
    ]
    with campaign_service() as service:
        row = service.add_site(
            code=code,
            name=name,
            ward_code=ward_code,
            address=address,
            sessions=parsed,
            opening_days=parse_opening_days(days),
            actor=_actor(actor_id, role, actor_site),
        )
    if as_json:
        _echo_json(row.as_json())
    else:
        click.echo(f"Site {row.site_id} added: {row.name}, {row.capacity_per_day} places a day.")


@site.command("edit")
@click.argument("site_id")
@click.option("--ward", "ward_code", required=True, help="GSO ward code (wards.csv), in the site's province.")
@click.option("--address", default="", help="Street address shown in appointment messages.")
@click.option(
    "--session", "sessions", multiple=True, required=True, help="name=HH:MM-HH:MM/capacity, repeatable."
)
@click.option("--days", default="daily", show_default=True, help="Opening days: mon,tue,... or daily.")
@click.option("--json", "as_json", is_flag=True, help="Print the site as JSON.")
@with_actor
def site_edit(
    site_id: str,
    ward_code: str,
    address: str,
    sessions: tuple[str, ...],
    days: str,
    as_json: bool,
    actor_id: str,
    role: str,
    actor_site: str | None,
) -> None:
    """Change a site's ward, address, sessions and opening days in one go (planned days keep theirs)."""
    with campaign_service() as service:
        row = service.update_site(
            site_id,
            ward_code=ward_code,
            address=address,
            sessions=[Session.parse(s) for s in sessions],
            opening_days=parse_opening_days(days),
            actor=_actor(actor_id, role, actor_site),
        )
    if as_json:
        _echo_json(row.as_json())
    else:
        click.echo(f"Site {row.site_id} saved: {row.name}, {row.capacity_per_day} places a day.")


@site.command("pause")
@click.argument("site_id")
@click.option("--reason", default="")
@with_actor
def site_pause(site_id: str, reason: str, actor_id: str, role: str, actor_site: str | None) -> None:
    """Pause a site: no new appointments (those made stay)."""
    with campaign_service() as service:
        row = service.set_site_status(
            site_id, "paused", reason=reason, actor=_actor(actor_id, role, actor_site)
        )
    click.echo(f"Site {row.site_id} paused.")


@site.command("reopen")
@click.argument("site_id")
@with_actor
def site_reopen(site_id: str, actor_id: str, role: str, actor_site: str | None) -> None:
    """Reopen a paused site."""
    with campaign_service() as service:
        row = service.set_site_status(site_id, "open", actor=_actor(actor_id, role, actor_site))
    click.echo(f"Site {row.site_id} reopened.")


# ---- registrations -----------------------------------------------------------------------------


@click.group("registration")
def registration() -> None:
    """Registrations for vaccination (the queue)."""


@registration.command("add")
@click.option("--person", required=True, help="National ID number or person id.")
@click.option("--group", required=True, help="Priority group code (priority_groups.csv).")
@click.option("--site", "site_id", default=None, help="Preferred site id (else the person's ward).")
@click.option("--ward", "ward_code", default=None, help="Preferred ward (GSO code) instead of a site.")
@click.option("--language", type=click.Choice(["vi", "en"]), default="vi", show_default=True)
@click.option("--json", "as_json", is_flag=True)
@with_actor
def registration_add(
    person: str,
    group: str,
    site_id: str | None,
    ward_code: str | None,
    language: str,
    as_json: bool,
    actor_id: str,
    role: str,
    actor_site: str | None,
) -> None:
    """Register a person for their next dose."""
    with campaign_service() as service:
        made = service.register(
            person=person,
            group=group,
            site_id=site_id,
            ward_code=ward_code,
            language=language,
            actor=_actor(actor_id, role, actor_site),
        )
    body = {
        "registration_id": str(made.registration_id),
        "person_id": str(made.person_id),
        "dose_number": made.dose_number,
        "due_on": made.due_on.isoformat(),
    }
    if as_json:
        _echo_json(body)
    else:
        click.echo(f"Registered {made.person_id} for dose {made.dose_number} (due {made.due_on}).")


@registration.command("list")
@click.option("--site", "site_id", required=True, help="Site id.")
@click.option("--json", "as_json", is_flag=True)
def registration_list(site_id: str, as_json: bool) -> None:
    """The open registrations of a site's area, in planning order."""
    with campaign_service() as service:
        rows = service.registrations(site_id)
    if as_json:
        _echo_json([r.as_json() for r in rows])
        return
    for r in rows:
        click.echo(
            f"{r.registration_id}  dose {r.dose_number}  rank {r.priority_rank:>2}  {r.status:<8} {r.queued_at}"
        )


# ---- planning ----------------------------------------------------------------------------------


@click.group("plan")
def plan() -> None:
    """Plan site-days, cancel sessions, close days, run the daily job."""


def _print_day(body: dict[str, object]) -> None:
    click.echo(f"Site {body['site_id']} on {body['date']}:")
    for s in body["sessions"]:  # type: ignore[attr-defined]
        click.echo(f"  {s['name']} {s['start']}-{s['end']}: {len(s['appointments'])}/{s['capacity']}")
    click.echo(f"  still waiting: {body['waiting']}")
    for group in body.get("waiting_reasons", []):  # type: ignore[attr-defined]
        what = (
            f" (dose {group['dose_number']}, {group['product'] or 'any product'})"
            if group["dose_number"]
            else ""
        )
        click.echo(f"    {group['count']}: {group['reason'].replace('_', ' ')}{what}")
    later = body.get("not_due_yet") or {}
    if later.get("count"):  # type: ignore[attr-defined]
        click.echo(f"  registered, not due yet: {later['count']} (first due {later['first_due']})")  # type: ignore[index]


@plan.command("day")
@click.option("--site", "site_id", required=True)
@click.option("--date", "day", required=True, help="YYYY-MM-DD, today or later.")
@click.option("--json", "as_json", is_flag=True)
@with_actor
def plan_day(site_id: str, day: str, as_json: bool, actor_id: str, role: str, actor_site: str | None) -> None:
    """Plan one site-day (again: writes nothing new)."""
    with campaign_service() as service:
        planned = service.plan_day(site_id, _day(day), actor=_actor(actor_id, role, actor_site))
    if as_json:
        _echo_json(planned.as_json())
    else:
        _print_day(planned.as_json())


@plan.command("province")
@click.option("--province", required=True, help="GSO province code, e.g. 01 (Hà Nội).")
@click.option("--date", "day", required=True, help="YYYY-MM-DD, today or later.")
@click.option(
    "--workers",
    type=click.IntRange(1, 8),
    default=1,
    show_default=True,
    help="Processes writing the province's batches at once (2 uses both cores of a quiet machine).",
)
@click.option("--json", "as_json", is_flag=True)
@with_actor
def plan_province(
    province: str, day: str, workers: int, as_json: bool, actor_id: str, role: str, actor_site: str | None
) -> None:
    """Plan one day at every site of a province in one run (again: writes nothing new)."""
    with campaign_service() as service:
        planned = service.plan_province_day(
            province, _day(day), actor=_actor(actor_id, role, actor_site), workers=workers
        )
    if as_json:
        _echo_json(planned.as_json())
        return
    for s in planned.sites:
        click.echo(
            f"{s.site_id}  {s.status:<8} {s.taken:>5}/{s.capacity:<5} booked now {s.booked_now:>5}  "
            f"waiting {s.waiting:>6}  {s.name}"
        )
    click.echo(f"{planned.province} {planned.date}: {planned.booked_now} appointments booked now")


@plan.command("week")
@click.option("--site", "site_id", required=True)
@click.option("--start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--json", "as_json", is_flag=True)
@with_actor
def plan_week(
    site_id: str, start: str, as_json: bool, actor_id: str, role: str, actor_site: str | None
) -> None:
    """Plan the site's opening days of a week."""
    with campaign_service() as service:
        days = service.plan_week(site_id, _day(start), actor=_actor(actor_id, role, actor_site))
    if as_json:
        _echo_json([d.as_json() for d in days])
    else:
        for d in days:
            _print_day(d.as_json())


@plan.command("cancel-session")
@click.option("--site", "site_id", required=True)
@click.option("--date", "day", required=True)
@click.option("--session", required=True)
@click.option("--reason", required=True)
@with_actor
def plan_cancel_session(
    site_id: str, day: str, session: str, reason: str, actor_id: str, role: str, actor_site: str | None
) -> None:
    """Cancel a session: its people are told and re-booked on the next opening days."""
    with campaign_service() as service:
        cancelled, planned = service.cancel_session(
            site_id, _day(day), session, reason=reason, actor=_actor(actor_id, role, actor_site)
        )
    click.echo(f"{cancelled} appointments cancelled; re-planned {len(planned)} day(s).")


@plan.command("close")
@click.option("--site", "site_id", required=True)
@click.option("--date", "day", required=True)
@with_actor
def plan_close(site_id: str, day: str, actor_id: str, role: str, actor_site: str | None) -> None:
    """Close a site-day: no-shows go back to the queue with their priority."""
    with campaign_service() as service:
        n = service.close_day(site_id, _day(day), actor=_actor(actor_id, role, actor_site))
    click.echo(f"{n} no-shows released back to the queue.")


@plan.command("run-day")
@click.option("--date", "day", default=None, help="The day (default today in Viet Nam).")
@click.option("--json", "as_json", is_flag=True)
def plan_run_day(day: str | None, as_json: bool) -> None:
    """The daily job: no-shows, next doses due, reminders for tomorrow, day-1/day-7 check-ins."""
    with campaign_service() as service:
        done = service.run_day(_day(day) if day else None)
    body = {
        "no_shows": done.no_shows,
        "next_doses_registered": done.next_doses_registered,
        "reminders": done.reminders,
        "checkins": done.checkins,
    }
    if as_json:
        _echo_json(body)
    else:
        click.echo(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in body.items()))


# ---- appointments ------------------------------------------------------------------------------


@click.group("appointment")
def appointment() -> None:
    """One appointment: check in, record the dose, move, cancel."""


@appointment.command("check-in")
@click.argument("appointment_id")
@with_actor
def appointment_check_in(appointment_id: str, actor_id: str, role: str, actor_site: str | None) -> None:
    """The person arrived."""
    with campaign_service() as service:
        service.check_in(appointment_id, actor=_actor(actor_id, role, actor_site))
    click.echo("Checked in.")


@appointment.command("no-show")
@click.argument("appointment_id")
@with_actor
def appointment_no_show(appointment_id: str, actor_id: str, role: str, actor_site: str | None) -> None:
    """The person did not come (before the day is closed): re-queued with their priority."""
    with campaign_service() as service:
        service.mark_no_show(appointment_id, actor=_actor(actor_id, role, actor_site))
    click.echo("Marked as not come; back in the queue.")


@appointment.command("came-late")
@click.argument("appointment_id")
@with_actor
def appointment_came_late(appointment_id: str, actor_id: str, role: str, actor_site: str | None) -> None:
    """Undo today's no-show: the person came late (checked in on the same appointment)."""
    with campaign_service() as service:
        service.record_late_arrival(appointment_id, actor=_actor(actor_id, role, actor_site))
    click.echo("Late arrival recorded: checked in.")


@appointment.command("dose")
@click.argument("appointment_id")
@click.option("--lot", "lot_id", required=True)
@with_actor
def appointment_dose(
    appointment_id: str, lot_id: str, actor_id: str, role: str, actor_site: str | None
) -> None:
    """Record the dose given at the appointment."""
    with campaign_service() as service:
        dose = service.record_dose(appointment_id, lot_id=lot_id, actor=_actor(actor_id, role, actor_site))
    click.echo(f"Dose {dose} recorded.")


@appointment.command("cancel")
@click.argument("appointment_id")
@click.option("--reason", default="")
@with_actor
def appointment_cancel(
    appointment_id: str, reason: str, actor_id: str, role: str, actor_site: str | None
) -> None:
    """Cancel an appointment (the person keeps their place in the queue)."""
    with campaign_service() as service:
        service.cancel_appointment(appointment_id, reason=reason, actor=_actor(actor_id, role, actor_site))
    click.echo("Cancelled.")


@appointment.command("move")
@click.argument("appointment_id")
@click.option("--site", "site_id", required=True)
@click.option("--date", "day", required=True)
@click.option("--session", required=True)
@with_actor
def appointment_move(
    appointment_id: str,
    site_id: str,
    day: str,
    session: str,
    actor_id: str,
    role: str,
    actor_site: str | None,
) -> None:
    """Move an appointment."""
    with campaign_service() as service:
        new = service.move_appointment(
            appointment_id,
            site_id=site_id,
            day=_day(day),
            session=session,
            actor=_actor(actor_id, role, actor_site),
        )
    click.echo(f"Moved: appointment {new}.")


# ---- messages ----------------------------------------------------------------------------------


@click.group("messages")
def messages() -> None:
    """The outbox: list, deliver, and replies."""


@messages.command("list")
@click.option("--status", type=click.Choice(["pending", "sent", "failed", "withdrawn"]), default=None)
@click.option("--kind", type=click.Choice([k.value for k in MessageKind]), default=None)
@click.option("--limit", type=click.IntRange(1, 100_000), default=1_000, show_default=True)
@click.option("--json", "as_json", is_flag=True)
def messages_list(status: str | None, kind: str | None, limit: int, as_json: bool) -> None:
    """Messages with their status."""
    with campaign_service() as service:
        rows = service.messages(status=status, kind=kind, limit=limit)
    if as_json:
        _echo_json([r.as_json() for r in rows])
        return
    for r in rows:
        click.echo(f"{r.message_id}  {r.status:<8} {r.kind:<14} {r.to}  {r.text}")


def configured_gateway() -> Gateway:
    """The sender named by IMMUNIZE_MESSAGE_SENDER (console, file or gateway)."""
    kind = os.environ.get("IMMUNIZE_MESSAGE_SENDER", "console")
    if kind == "memory":
        kind = "console"
    return gateway_from_settings(
        kind,
        path=Path(os.environ.get("IMMUNIZE_OUTBOX_FILE") or "var/outbox.jsonl"),
        url=os.environ.get("IMMUNIZE_SMS_GATEWAY_URL", ""),
        token=os.environ.get("IMMUNIZE_SMS_GATEWAY_TOKEN", ""),
    )


@messages.command("send")
@click.option("--batch", type=click.IntRange(1, 5_000), default=200, show_default=True)
@click.option(
    "--workers", type=click.IntRange(1, 32), default=4, show_default=True, help="Gateway calls at once."
)
@click.option(
    "--backoff",
    type=click.IntRange(1, 86_400),
    default=30,
    show_default=True,
    help="Seconds before a failed message's first retry (doubles, with jitter).",
)
@click.option(
    "--follow",
    is_flag=True,
    help="Keep running: deliver messages as they appear and run the daily job; stop with SIGTERM or Ctrl-C.",
)
@click.option(
    "--poll",
    type=click.FloatRange(0.05, 3_600),
    default=2.0,
    show_default=True,
    help="With --follow: seconds between looks at an empty outbox.",
)
@click.option(
    "--daily-at",
    default="08:00",
    show_default=True,
    help="With --follow: Viet Nam time of the daily job (reminders, check-ins, no-shows), or 'off'.",
)
@click.option(
    "--quiet-hours",
    default=None,
    help="Viet Nam time when only cancelled or changed appointments (and answers to texts) go out, "
    "HH:MM-HH:MM or 'off' [default: IMMUNIZE_SMS_QUIET_HOURS, else 21:00-07:00 with the gateway sender, "
    "off with console or file, which reach no phone].",
)
@click.option(
    "--shard",
    default=None,
    metavar="I/N",
    help="Run as sender I of N (0-based): each reads its own part of the outbox, so N senders share it.",
)
@click.option("--json", "as_json", is_flag=True)
def messages_send(
    batch: int,
    workers: int,
    backoff: int,
    follow: bool,
    poll: float,
    daily_at: str,
    quiet_hours: str | None,
    shard: str | None,
    as_json: bool,
) -> None:
    """Deliver the pending messages through IMMUNIZE_MESSAGE_SENDER (once, or resident with --follow)."""
    configured = quiet_hours if quiet_hours is not None else os.environ.get("IMMUNIZE_SMS_QUIET_HOURS")
    if configured is None and os.environ.get("IMMUNIZE_MESSAGE_SENDER", "console") != "gateway":
        configured = "off"  # the console and file senders reach no phone (development, `immunize run`)
    quiet = QuietHours.parse(configured)
    part = _shard(shard)
    gateway = configured_gateway()
    if follow:
        _follow(gateway, batch, workers, backoff, poll, _daily_time(daily_at), quiet, part, as_json)
        return
    with campaign_service() as service:
        report = service.send_pending(
            gateway,
            batch=batch,
            workers=workers,
            backoff=timedelta(seconds=backoff),
            jitter=random.random,
            quiet=quiet,
            shard=part,
        )
    body = {
        "sent": report.sent,
        "retrying": report.retrying,
        "failed": report.failed,
        "batches": report.batches,
    }
    if as_json:
        _echo_json(body)
    else:
        click.echo(f"sent {report.sent}, to retry {report.retrying}, failed {report.failed}")


def _shard(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    index, sep, count = text.strip().partition("/")
    try:
        i, n = int(index), int(count)
    except ValueError:
        i, n = -1, 0
    if not sep or not 1 <= n <= 16 or not 0 <= i < n:
        raise SenderShardInvalid(
            f"--shard {text!r} is not I/N with 0 <= I < N <= 16: use e.g. 0/2 and 1/2 for two senders.",
            value=text,
        )
    return (i, n)


def _daily_time(text: str) -> time | None:
    if text.strip().lower() == "off":
        return None
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise CampaignInputInvalid(
            f"--daily-at {text!r} is not a time: use HH:MM (e.g. 08:00) or off."
        ) from None


def _follow(
    gateway: Gateway,
    batch: int,
    workers: int,
    backoff: int,
    poll: float,
    daily_at: time | None,
    quiet: QuietHours | None,
    shard: tuple[int, int] | None,
    as_json: bool,
) -> None:
    """The resident sender until SIGTERM or Ctrl-C (what is in flight is finished and recorded first)."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    settings = SenderSettings(
        batch=batch,
        workers=workers,
        backoff=timedelta(seconds=backoff),
        poll=poll,
        daily_at=daily_at,
        quiet=quiet,
        shard=shard,
    )

    def say(line: str) -> None:
        click.echo(f"immunize sender: {line}", err=True)

    with campaign_service() as service:
        say(
            f"delivering as messages appear (every {poll:g} s when idle; quiet hours "
            f"{quiet.describe() if quiet else 'off'}); stop with SIGTERM or Ctrl-C"
        )
        tally = ResidentSender(service, gateway, settings, stop=stop, report=say).run()
    close = getattr(gateway, "close", None)
    if callable(close):
        close()
    body = {
        "sent": tally.sent,
        "retrying": tally.retrying,
        "rounds": tally.rounds,
        "failures": tally.failures,
        "daily_runs": [d.isoformat() for d in tally.daily_runs],
    }
    if as_json:
        _echo_json(body)
    else:
        say(f"stopped: sent {tally.sent} in {tally.rounds} rounds")


@messages.command("reply")
@click.argument("phone")
@click.argument("text")
@click.option(
    "--message-id", default=None, help="The gateway's id of the message: given again, it is recorded once."
)
@click.option("--json", "as_json", is_flag=True)
def messages_reply(phone: str, text: str, message_id: str | None, as_json: bool) -> None:
    """A reply from PHONE (as the gateway would pass it): 1, 2 or "3 <text>" answer a check-in; "HUY"
    (or "HUY 2" from a family's list) cancels an upcoming appointment."""
    with campaign_service() as service:
        result = service.reply(phone, text, message_id=message_id)
    body = {
        "outcome": result.outcome,
        "person_id": str(result.person_id) if result.person_id else None,
        "reaction_id": str(result.reaction_id) if result.reaction_id else None,
    }
    if as_json:
        _echo_json(body)
    else:
        click.echo(
            {
                "unknown_phone": "Unknown phone: logged, nothing recorded.",
                "kept": "Not a check-in answer: kept for a person to read.",
                "no_reaction": "Recorded: no reaction.",
                "mild": "Recorded: a mild reaction.",
                "serious": "Recorded: a serious reaction, flagged for follow-up.",
                "cancelled": "Cancelled the appointment; the confirmation text is queued.",
                "asked_which": "This phone has several appointments: the numbered list is queued.",
                "nothing_to_cancel": "No upcoming appointment for this phone: told so.",
            }[result.outcome]
        )


# `immunize stock ...` is in cli/stock_commands.py.


COMMANDS = (site, registration, plan, appointment, messages)
