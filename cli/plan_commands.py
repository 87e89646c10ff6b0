"""`immunize plan day|province|week|cancel-session|close|run-day`: planning site-days and the daily job."""

from __future__ import annotations

import click

from cli.campaign_context import as_actor, campaign_service, echo_json, parse_day, with_actor


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
        planned = service.plan_day(site_id, parse_day(day), actor=as_actor(actor_id, role, actor_site))
    if as_json:
        echo_json(planned.as_json())
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
            province, parse_day(day), actor=as_actor(actor_id, role, actor_site), workers=workers
        )
    if as_json:
        echo_json(planned.as_json())
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
        days = service.plan_week(site_id, parse_day(start), actor=as_actor(actor_id, role, actor_site))
    if as_json:
        echo_json([d.as_json() for d in days])
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
            site_id, parse_day(day), session, reason=reason, actor=as_actor(actor_id, role, actor_site)
        )
    click.echo(f"{cancelled} appointments cancelled; re-planned {len(planned)} day(s).")


@plan.command("close")
@click.option("--site", "site_id", required=True)
@click.option("--date", "day", required=True)
@with_actor
def plan_close(site_id: str, day: str, actor_id: str, role: str, actor_site: str | None) -> None:
    """Close a site-day: no-shows go back to the queue with their priority."""
    with campaign_service() as service:
        n = service.close_day(site_id, parse_day(day), actor=as_actor(actor_id, role, actor_site))
    click.echo(f"{n} no-shows released back to the queue.")


@plan.command("run-day")
@click.option("--date", "day", default=None, help="The day (default today in Viet Nam).")
@click.option("--json", "as_json", is_flag=True)
def plan_run_day(day: str | None, as_json: bool) -> None:
    """The daily job: no-shows, next doses due, reminders for tomorrow, day-1/day-7 check-ins."""
    with campaign_service() as service:
        done = service.run_day(parse_day(day) if day else None)
    body = {
        "no_shows": done.no_shows,
        "next_doses_registered": done.next_doses_registered,
        "reminders": done.reminders,
        "checkins": done.checkins,
    }
    if as_json:
        echo_json(body)
    else:
        click.echo(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in body.items()))


COMMANDS = (plan,)
