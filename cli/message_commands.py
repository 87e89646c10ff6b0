"""`immunize messages list|send|reply`: the outbox, its sender (once or resident) and replies from phones."""

from __future__ import annotations

import os
import random
import signal
import threading
from datetime import time, timedelta
from pathlib import Path

import click

from cli.campaign_context import campaign_service, echo_json
from ledger.campaign.errors import CampaignInputInvalid, SenderShardInvalid
from ledger.campaign.quiet_hours import QuietHours
from ledger.campaign.values import MessageKind
from services.outbox_sender import ResidentSender, SenderSettings
from services.sms_gateways import Gateway, gateway_from_settings


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
        echo_json([r.as_json() for r in rows])
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
        echo_json(body)
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
        echo_json(body)
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
        echo_json(body)
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


COMMANDS = (messages,)
