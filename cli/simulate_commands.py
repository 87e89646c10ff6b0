"""`immunize simulate`: a deterministic campaign in miniature through the service layer, with a summary."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cli.ledger_context import open_ledger
from ledger.application import Ledger
from ledger.commands import vietnam_day
from ledger.errors import InvalidInput
from projections.store import ViewStore, open_view_store
from services.backend import Backend
from services.simulation.campaign import CAMPAIGN_START, Tally, check_arguments, simulate


@click.command("simulate")
@click.option(
    "--scale", type=float, default=0.0001, show_default=True, help="Share of Viet Nam's population."
)
@click.option("--days", type=int, default=120, show_default=True, help="Days of campaign to simulate.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same ledger digest.")
@click.option(
    "--start",
    default=None,
    help=f"First day (YYYY-MM-DD; default {CAMPAIGN_START.isoformat()}, the deterministic digest's).",
)
@click.option(
    "--end",
    default=None,
    help="Instead of --start: the day the campaign ends, `today` or YYYY-MM-DD; it starts DAYS days "
    "before, and the end day's appointments are booked, left to the staff (what `immunize run` seeds).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def simulate_command(
    scale: float, days: int, seed: int, start: str | None, end: str | None, as_json: bool
) -> None:
    """Simulate a national campaign on IMMUNIZE_DATABASE_URL: people, sites, deliveries, registrations,
    plans, no-shows, doses, reactions, certificates; prints what it did and the ledger digest."""
    first_day = check_arguments(scale, days, start, end, today=vietnam_day(datetime.now(UTC)))
    run_simulation(scale, days, seed, first_day, as_json)


def run_simulation(scale: float, days: int, seed: int, start: str | date, as_json: bool) -> Tally:
    """`immunize simulate` and `immunize demo seed`: the arguments checked (one clear line before
    anything is written), a progress bar on stderr, then the summary table or JSON on stdout."""
    first_day = check_arguments(scale, days, start)
    from web.config import key_dir

    # One clear line before anything is written, rather than 0 certificates at the end.
    check_signing_keys(key_dir(os.environ), first_day)
    console = Console(stderr=True)
    with open_ledger() as ledger:
        store = open_view_store(ledger.store)
        try:
            backend = certificate_backend(ledger, store, first_day)
            with Progress(
                TextColumn("simulating"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("days  {task.fields[events]} events  {task.fields[rate]} events/s"),
                TimeElapsedColumn(),
                console=console,
                disable=as_json and not console.is_terminal,
            ) as bar:
                task = bar.add_task("simulate", total=days, events=0, rate="-")

                def advance(day: int, events: int) -> None:
                    elapsed = bar.tasks[0].elapsed or 0.0
                    rate = f"{events / elapsed:,.0f}" if elapsed else "-"
                    bar.update(task, completed=day, events=f"{events:,}", rate=rate)

                tally = simulate(
                    ledger,
                    store,
                    scale=scale,
                    days=days,
                    seed=seed,
                    start=first_day,
                    progress=advance,
                    certificates=backend,
                )
        finally:
            store.close()
    if as_json:
        click.echo(json.dumps(tally.as_json(), ensure_ascii=False, indent=2))
    else:
        Console().print(summary_table(tally, ledger.reference.provinces))
    return tally


def check_signing_keys(keys: Path, first_day: date) -> None:
    """A key store in IMMUNIZE_KEY_DIR whose current signing key cannot sign on the first simulated day is
    refused with one sentence: every certificate request would fail and the run would issue none (how
    `certificates: 0` came about when the keys were made before `simulate`, dated today)."""
    from keys.store import KeyStore

    store = KeyStore(keys)
    if not store.exists():
        return  # created below, dated the day before the campaign
    moment = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    current = next((record for record in store.documents() if record.current), None)
    if current is not None and current.not_before <= moment < current.signing_until:
        return
    eve = first_day - timedelta(days=1)
    signs = (
        f"signs from {current.not_before:%Y-%m-%d} to {current.signing_until:%Y-%m-%d}"
        if current is not None
        else "has no current signing key"
    )
    raise InvalidInput(
        f"The signing key in {keys} {signs}, so it cannot sign the certificates of a campaign starting "
        f"{first_day.isoformat()}: use a key directory without keys (simulate then creates development keys "
        f"dated {eve.isoformat()}) or run `immunize keys init --development --now {eve.isoformat()}T00:00:00+00:00` first."
    )


def certificate_backend(ledger: Ledger, store: ViewStore, first_day: date) -> Backend:
    """The backend the certificate service signs with: IMMUNIZE_KEY_DIR. When no key store exists there
    yet, development keys are created dated from the day before the campaign (certificates are signed
    on the simulated days; a later `immunize run` or `serve` adds a key for today)."""
    from keys.development import ensure_development_keys
    from keys.store import KeyStore
    from web.config import key_dir
    from web.platform import Platform

    keys = key_dir(os.environ)
    if not KeyStore(keys).exists():
        before = first_day - timedelta(days=1)
        ensure_development_keys(keys, datetime(before.year, before.month, before.day, tzinfo=UTC))
    return Platform(ledger.store, keys, ledger=ledger, views=store).backend


def summary_table(tally: Tally, provinces: Mapping[str, object]) -> Table:
    """The run in one table: population, operations, doses, reactions, coverage by province."""
    data = tally.as_json()
    table = Table(title=f"Simulated campaign: seed {tally.seed}, scale {tally.scale:g}, {tally.days} days "
                  f"from {tally.start.isoformat()}")  # fmt: skip
    table.add_column("what")
    table.add_column("count", justify="right")
    rows: list[tuple[str, str]] = [
        ("people (dependants)", f"{tally.people:,} ({tally.dependants:,})"),
        ("households (one phone each)", f"{tally.households:,}"),
        ("sites / lots delivered", f"{tally.sites:,} / {tally.lots:,}"),
        ("doses delivered", ", ".join(f"{k} {v:,}" for k, v in data["delivered_by_product"].items()) or "0"),
        ("registrations", f"{tally.registrations:,}"),
        ("appointments", f"{tally.appointments:,}"),
        ("no-shows", f"{tally.no_shows:,}"),
        ("turned away at the desk", ", ".join(f"{k} {v:,}" for k, v in data["turned_away"].items()) or "0"),
        ("doses", f"{tally.doses:,}"),
        ("doses by number", ", ".join(f"dose {k}: {v:,}" for k, v in data["doses_by_number"].items()) or "0"),
        ("doses by product", ", ".join(f"{k}: {v:,}" for k, v in data["doses_by_product"].items()) or "0"),
        ("people vaccinated", f"{data['people_vaccinated']:,}"),
        ("reactions", ", ".join(f"{k} {v:,}" for k, v in data["reactions"].items())),
        ("serious reactions followed up", f"{tally.follow_ups:,}"),
        ("messages queued (appointments, reminders, check-ins)",
         ", ".join(f"{k} {v:,}" for k, v in data["messages_by_kind"].items()) or "0"),
        ("messages sent (simulated phones)", f"{tally.messages_sent:,}"),
        ("check-in replies", ", ".join(f"{k} {v:,}" for k, v in data["replies"].items()) or "0"),
        ("certificates issued", f"{tally.certificates:,}"),
        ("events / seconds / events per s", f"{tally.events:,} / {tally.seconds:.1f} / {tally.events_per_second:,.0f}"),
        ("ledger digest", tally.digest),
    ]  # fmt: skip
    for what, count in rows:
        table.add_row(what, count)
    for note in tally.notes:
        table.add_row("note", note)
    for code, pct in tally.coverage().items():
        name = getattr(provinces.get(code), "name", code)
        table.add_row(f"coverage {code} {name}", f"{pct:.1f}% of {tally.population[code]:,}")
    return table


COMMANDS: list[click.Command] = [simulate_command]
