"""`immunize registration add|list|join`: people registered for their next dose."""

from __future__ import annotations

import click

from cli.campaign_context import as_actor, campaign_service, echo_json, with_actor


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
            actor=as_actor(actor_id, role, actor_site),
        )
    body = {
        "registration_id": str(made.registration_id),
        "person_id": str(made.person_id),
        "dose_number": made.dose_number,
        "due_on": made.due_on.isoformat(),
    }
    if as_json:
        echo_json(body)
    else:
        click.echo(f"Registered {made.person_id} for dose {made.dose_number} (due {made.due_on}).")


@registration.command("join")
@click.argument("online_id")
@click.argument("registered_id")
@with_actor
def registration_join(
    online_id: str, registered_id: str, actor_id: str, role: str, actor_site: str | None
) -> None:
    """Join a citizen's online registration (ONLINE_ID) to the record registered at a site with the
    same ID number (REGISTERED_ID), after seeing the card: the phone, family, health declarations and
    place in the queue move to it, and the online record is erased."""
    with campaign_service() as service:
        service.join_online_registration(online_id, registered_id, actor=as_actor(actor_id, role, actor_site))
    click.echo(f"Joined {online_id} to {registered_id}.")


@registration.command("list")
@click.option("--site", "site_id", required=True, help="Site id.")
@click.option("--json", "as_json", is_flag=True)
def registration_list(site_id: str, as_json: bool) -> None:
    """The open registrations of a site's area, in planning order."""
    with campaign_service() as service:
        rows = service.registrations(site_id)
    if as_json:
        echo_json([r.as_json() for r in rows])
        return
    for r in rows:
        click.echo(
            f"{r.registration_id}  dose {r.dose_number}  rank {r.priority_rank:>2}  {r.status:<8} {r.queued_at}"
        )


COMMANDS = (registration,)
