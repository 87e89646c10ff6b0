"""`immunize appointment check-in|no-show|came-late|dose|cancel|move`: one appointment at a time."""

from __future__ import annotations

import click

from cli.campaign_context import as_actor, campaign_service, parse_day, with_actor


@click.group("appointment")
def appointment() -> None:
    """One appointment: check in, record the dose, move, cancel."""


@appointment.command("check-in")
@click.argument("appointment_id")
@with_actor
def appointment_check_in(appointment_id: str, actor_id: str, role: str, actor_site: str | None) -> None:
    """The person arrived."""
    with campaign_service() as service:
        service.check_in(appointment_id, actor=as_actor(actor_id, role, actor_site))
    click.echo("Checked in.")


@appointment.command("no-show")
@click.argument("appointment_id")
@with_actor
def appointment_no_show(appointment_id: str, actor_id: str, role: str, actor_site: str | None) -> None:
    """The person did not come (before the day is closed): re-queued with their priority."""
    with campaign_service() as service:
        service.mark_no_show(appointment_id, actor=as_actor(actor_id, role, actor_site))
    click.echo("Marked as not come; back in the queue.")


@appointment.command("came-late")
@click.argument("appointment_id")
@with_actor
def appointment_came_late(appointment_id: str, actor_id: str, role: str, actor_site: str | None) -> None:
    """Undo today's no-show: the person came late (checked in on the same appointment)."""
    with campaign_service() as service:
        service.record_late_arrival(appointment_id, actor=as_actor(actor_id, role, actor_site))
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
        dose = service.record_dose(appointment_id, lot_id=lot_id, actor=as_actor(actor_id, role, actor_site))
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
        service.cancel_appointment(appointment_id, reason=reason, actor=as_actor(actor_id, role, actor_site))
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
            day=parse_day(day),
            session=session,
            actor=as_actor(actor_id, role, actor_site),
        )
    click.echo(f"Moved: appointment {new}.")


COMMANDS = (appointment,)
