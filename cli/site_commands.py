"""`immunize site list|add|edit|pause|reopen`: the campaign's vaccination sites."""

from __future__ import annotations

import click

from cli.campaign_context import as_actor, campaign_service, echo_json, with_actor
from ledger.campaign.values import Session, parse_opening_days


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
        echo_json([r.as_json() for r in rows])
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
            actor=as_actor(actor_id, role, actor_site),
        )
    if as_json:
        echo_json(row.as_json())
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
            actor=as_actor(actor_id, role, actor_site),
        )
    if as_json:
        echo_json(row.as_json())
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
            site_id, "paused", reason=reason, actor=as_actor(actor_id, role, actor_site)
        )
    click.echo(f"Site {row.site_id} paused.")


@site.command("reopen")
@click.argument("site_id")
@with_actor
def site_reopen(site_id: str, actor_id: str, role: str, actor_site: str | None) -> None:
    """Reopen a paused site."""
    with campaign_service() as service:
        row = service.set_site_status(site_id, "open", actor=as_actor(actor_id, role, actor_site))
    click.echo(f"Site {row.site_id} reopened.")


COMMANDS = (site,)
