"""`immunize appointment check-in|no-show|came-late|dose|cancel|move`: one appointment at a time."""

from __future__ import annotations

from collections.abc import Callable

import click

from cli.campaign_context import as_actor, campaign_service, parse_day, with_actor
from ledger.values import Actor
from services.campaign import CampaignService


@click.group("appointment")
def appointment() -> None:
    """One appointment: check in, record the dose, move, cancel."""


def _attendance_command(
    name: str, help_text: str, done: str, act: Callable[[CampaignService, str, Actor], object]
) -> None:
    """One `appointment <name> APPOINTMENT_ID` command: the same shape for each attendance mark."""

    @appointment.command(name, help=help_text)
    @click.argument("appointment_id")
    @with_actor
    def command(appointment_id: str, actor_id: str, role: str, actor_site: str | None) -> None:
        with campaign_service() as service:
            act(service, appointment_id, as_actor(actor_id, role, actor_site))
        click.echo(done)


_attendance_command(
    "check-in",
    "The person arrived.",
    "Checked in.",
    lambda service, appointment_id, actor: service.check_in(appointment_id, actor=actor),
)
_attendance_command(
    "no-show",
    "The person did not come (before the day is closed): re-queued with their priority.",
    "Marked as not come; back in the queue.",
    lambda service, appointment_id, actor: service.mark_no_show(appointment_id, actor=actor),
)
_attendance_command(
    "came-late",
    "Undo today's no-show: the person came late (checked in on the same appointment).",
    "Late arrival recorded: checked in.",
    lambda service, appointment_id, actor: service.record_late_arrival(appointment_id, actor=actor),
)


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
