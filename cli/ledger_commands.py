"""`immunize demo seed`, `immunize person list|show|register`, `immunize dose record`: the ledger from a shell.

The store is IMMUNIZE_DATABASE_URL (default sqlite:///var/ledger.db). Errors are one line (cli.main
turns LedgerError into "Error: ..." and exit status 1).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import click

from cli.campaign_context import seed_campaign_demo
from cli.ledger_context import open_ledger
from cli.web_commands import DEMO_DAYS, DEMO_SCALE
from ledger.commands import vietnam_day
from ledger.errors import IdempotencyKeyReused, InvalidInput, LedgerError, PersonNotFound
from ledger.records import PersonRecord
from ledger.values import Actor, Role
from projections.store import open_view_store
from services import desk
from services.demo_population import CAMPAIGN_START, MAX_PEOPLE, seed_demo
from services.people import PersonForm, list_people
from services.simulation.campaign import check_arguments


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _mask(national_id: str | None) -> str:
    """A national ID shown in lists: the last four digits only."""
    if not national_id:
        return "-"
    if not national_id.isdigit():
        return national_id  # "[erased]"
    return "*" * (len(national_id) - 4) + national_id[-4:]


# ---- demo --------------------------------------------------------------------------------------


@click.group("demo")
def demo() -> None:
    """Demo data for trying the platform."""


@demo.command("seed")
@click.option(
    "--scale",
    type=float,
    default=None,
    help=f"Share of Viet Nam's population the simulated campaign draws (default {DEMO_SCALE:.5f}, as immunize run).",
)
@click.option("--days", type=int, default=None, help=f"Days of campaign to simulate (default {DEMO_DAYS}).")
@click.option(
    "--people",
    type=click.IntRange(1, MAX_PEOPLE),
    default=None,
    help="Instead of the simulator: a small fixed population of N adults with doses (seconds; for tests).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same campaign.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def demo_seed(scale: float | None, days: int | None, people: int | None, seed: int, as_json: bool) -> None:
    """Seed the demo: the simulated campaign of `immunize run` (immunize simulate at the demo's scale), or
    with --people a small fixed population (idempotent per seed)."""
    if people is None:
        _simulated_demo(scale, days, seed, as_json)
        return
    if scale is not None or days is not None:
        raise InvalidInput("--people seeds the small fixed population: leave out --scale and --days.")
    with open_ledger() as ledger:
        try:
            summary = seed_demo(ledger, people=people, seed=seed, start=CAMPAIGN_START)
            campaign_lines = seed_campaign_demo(ledger)
        except IdempotencyKeyReused:
            raise LedgerError(
                f"This database was already seeded with seed {seed} and a different --people: "
                "use another --seed or a fresh database."
            ) from None
    if as_json:
        _echo_json(summary.as_json())
    else:
        for line in [*summary.lines(), *campaign_lines]:
            click.echo(line)


def _simulated_demo(scale: float | None, days: int | None, seed: int, as_json: bool) -> None:
    """The simulated demo campaign on an empty ledger (a ledger with people is left as it is)."""
    from cli.simulate_commands import run_simulation

    the_scale = DEMO_SCALE if scale is None else scale
    the_days = DEMO_DAYS if days is None else days
    # As `immunize run`: the campaign ends today (today's appointments are booked, lots are in date).
    # One clear line for a bad argument before anything is opened.
    first_day = check_arguments(the_scale, the_days, None, "today", today=vietnam_day(datetime.now(UTC)))
    with open_ledger() as ledger:
        store = open_view_store(ledger.store)
        try:
            seeded = bool(list_people(ledger, store, limit=1))
        finally:
            store.close()
    if seeded:
        click.echo(
            "This database already has people: nothing seeded (use a fresh IMMUNIZE_DATABASE_URL).", err=True
        )
        return
    run_simulation(the_scale, the_days, seed, first_day, as_json)
    if not as_json:
        click.echo(
            f"Public coverage figures compare with the population at this scale: set "
            f"IMMUNIZE_POPULATION_SCALE={the_scale:g} when serving (immunize run sets it).",
            err=True,
        )


# ---- person ------------------------------------------------------------------------------------


@click.group("person")
def person() -> None:
    """Look people up and register them."""


@person.command("list")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def person_list(limit: int, as_json: bool) -> None:
    """List registered people in registration order (national IDs masked)."""
    with open_ledger() as ledger:
        store = open_view_store(ledger.store)
        try:
            records = list_people(ledger, store, limit=limit)  # the people_directory view, caught up
        finally:
            store.close()
    if as_json:
        _echo_json([r.as_json() for r in records])
        return
    if not records:
        click.echo("No people registered yet: run `immunize demo seed`.")
        return
    for r in records:
        guardian = " (dependant)" if r.guardian_id else ""
        click.echo(
            f"{r.person_id}  {_mask(r.national_id):>12}  {r.display_name:<28}  {r.date_of_birth:<10}  "
            f"{r.sex:<6}  ward {r.ward_code}  doses {len(r.doses)}{guardian}"
        )


def _show(record: PersonRecord) -> None:
    click.echo(f"{record.display_name}  ({record.person_id})")
    click.echo(f"  national ID:    {record.national_id or '-'}")
    click.echo(f"  date of birth:  {record.date_of_birth}   sex: {record.sex}   phone: {record.phone or '-'}")
    click.echo(f"  residence:      ward {record.ward_code}, province {record.province_code}")
    click.echo(f"  priority group: {record.priority_group}")
    if record.guardian_id:
        click.echo(f"  guardian:       {record.guardian_id}")
    for dependant in record.dependant_ids:
        click.echo(f"  dependant:      {dependant}")
    for d in record.doses:
        mixed = "  (mixed products)" if d.mixed_products else ""
        click.echo(
            f"  dose {d.dose_number}: {d.administered_on}  {d.product}  lot {d.lot_number}  site {d.site_id}{mixed}"
        )
    for r in record.reactions:
        follow = "  NEEDS FOLLOW-UP" if r.needs_follow_up else ""
        click.echo(f"  reaction: onset {r.onset}  {r.severity.value}  {r.symptoms.text}{follow}")
    if record.erased:
        click.echo("  (personal data erased)")


@person.command("show")
@click.argument("national_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def person_show(national_id: str, as_json: bool) -> None:
    """Show one person's record, found by national ID number (or person id)."""
    with open_ledger() as ledger:
        try:
            record = ledger.person_record(uuid.UUID(national_id))
        except ValueError:
            record = ledger.person_by_national_id(national_id)
    if as_json:
        _echo_json(record.as_json())
    else:
        _show(record)


def _actor(actor_id: str, role: str, site: str | None) -> Actor:
    try:
        site_id = uuid.UUID(site) if site else None
    except ValueError:
        raise InvalidInput(f"--site {site!r} is not a site id.") from None
    return Actor(actor_id, Role(role), site_id)


ROLE_CHOICE = click.Choice([r.value for r in Role])


@person.command("register")
@click.option("--national-id", help="12-digit CCCD or 9-digit CMND (omit only for a dependant).")
@click.option("--name", "full_name", required=True, help="Full name, family name first.")
@click.option("--dob", "date_of_birth", required=True, help="YYYY, YYYY-MM or YYYY-MM-DD.")
@click.option("--sex", type=click.Choice(["female", "male", "other"]), required=True)
@click.option("--phone")
@click.option("--ward", "ward_code", required=True, help="GSO ward code, e.g. 00001.")
@click.option("--group", "priority_group", default="OTHER", show_default=True, help="Priority group code.")
@click.option("--guardian", "guardian_id", help="Person id of the guardian (registers a dependant).")
@click.option("--relationship", type=click.Choice(["child", "parent", "grandparent", "spouse", "other"]))
@click.option("--actor", "actor_id", default="cli", show_default=True)
@click.option("--role", type=ROLE_CHOICE, default="admin", show_default=True)
@click.option(
    "--idempotency-key", help="Repeat a failed call with the same key to avoid a double registration."
)
def person_register(
    national_id: str | None,
    full_name: str,
    date_of_birth: str,
    sex: str,
    phone: str | None,
    ward_code: str,
    priority_group: str,
    guardian_id: str | None,
    relationship: str | None,
    actor_id: str,
    role: str,
    idempotency_key: str | None,
) -> None:
    """Register a person (or a dependant under --guardian); prints the person id."""
    key = idempotency_key or str(uuid.uuid4())
    try:
        guardian = uuid.UUID(guardian_id) if guardian_id else None
    except ValueError:
        raise InvalidInput(f"--guardian {guardian_id!r} is not a person id.") from None
    form = PersonForm(
        full_name=full_name,
        date_of_birth=date_of_birth,
        sex=sex,
        ward_code=ward_code,
        national_id=national_id,
        priority_group=priority_group,
        relationship=relationship,
    )
    if relationship is not None and guardian is None:
        raise InvalidInput("--relationship is only given for a dependant: give --guardian too.")
    with open_ledger() as ledger:
        person_id = desk.register(
            ledger,
            form,
            phone=phone,
            actor=_actor(actor_id, role, None),
            guardian_id=guardian,
            idempotency_key=key,
        )
    click.echo(str(person_id))


# ---- dose --------------------------------------------------------------------------------------


@click.group("dose")
def dose() -> None:
    """Record doses."""


@dose.command("record")
@click.option("--person", "person_ref", required=True, help="National ID number or person id.")
@click.option(
    "--number", "dose_number", type=int, help="Dose number (1, 2, 3...); default: the person's next."
)
@click.option(
    "--product",
    help="Vaccine product code (vaccines.csv mp_code), e.g. EU/1/21/1529; checked against the lot's.",
)
@click.option("--lot", "lot_id", required=True, help="Vaccine lot id.")
@click.option("--date", "administered_on", required=True, help="YYYY-MM-DD (local date).")
@click.option("--site", "site_id", required=True, help="Vaccination site id.")
@click.option("--actor", "actor_id", default="cli", show_default=True)
@click.option("--role", type=ROLE_CHOICE, default="admin", show_default=True)
@click.option("--idempotency-key", help="Repeat a failed call with the same key to avoid a double dose.")
def dose_record(
    person_ref: str,
    dose_number: int | None,
    product: str | None,
    lot_id: str,
    administered_on: str,
    site_id: str,
    actor_id: str,
    role: str,
    idempotency_key: str | None,
) -> None:
    """Record a dose from a lot held at the site (services.desk, as the staff desk); prints the dose id."""
    try:
        day = date.fromisoformat(administered_on)
    except ValueError:
        raise InvalidInput(f"--date {administered_on!r} is not a date: use YYYY-MM-DD.") from None
    try:
        lot, site = uuid.UUID(lot_id), uuid.UUID(site_id)
    except ValueError:
        raise InvalidInput(
            "--lot and --site must be ids (UUIDs) as printed when they were created."
        ) from None
    with open_ledger() as ledger:
        try:
            person_id = uuid.UUID(person_ref)
        except ValueError:
            found = ledger.find_person(person_ref)
            if found is None:
                raise PersonNotFound(
                    "No person is registered with that national ID number: register them first."
                ) from None
            person_id = found
        staff = desk.StaffMember(
            username=_actor(actor_id, role, site_id).actor_id, site_id=site, role=Role(role)
        )
        form = desk.DoseForm(
            lot_id=lot,
            given_on=day,
            dose_number=dose_number,
            idempotency_key=idempotency_key or str(uuid.uuid4()),
            product=product,
        )
        result = desk.record_dose(ledger, person_id, form, staff=staff)
    mixed = " (mixed products: flagged)" if result.mixed_products else ""
    click.echo(f"dose {result.dose_number} recorded: {result.dose_id}{mixed}")


COMMANDS: list[click.Command] = [demo, person, dose]


@person.command("erase")
@click.argument("person_id")
@click.option(
    "--reason", required=True, help="Why (kept in the ledger's audit trail), e.g. the request's number."
)
@click.option(
    "--actor", "actor_id", default="cli", show_default=True, help="Who erases (kept with the erasure)."
)
@click.option("--role", type=click.Choice(["admin", "province_officer"]), default="admin", show_default=True)
@click.option(
    "--actor-province",
    "actor_province",
    default=None,
    envvar="IMMUNIZE_ACTOR_PROVINCE",
    help="The province officer's province (GSO code): they erase only people of that province.",
)
@click.option("--yes", is_flag=True, help="Do not ask for confirmation (scripts).")
def person_erase(
    person_id: str, reason: str, actor_id: str, role: str, actor_province: str | None, yes: bool
) -> None:
    """Erase a person's personal data for good (crypto-shredding); counts and dose facts stay.

    Asks you to type the person id again unless --yes. The erasure is an event in the ledger with
    who, when and why; every running server stops showing the person within seconds. A province
    officer (--role province_officer) erases only in their --actor-province, and nobody without one.
    """
    try:
        pid = uuid.UUID(person_id)
    except ValueError:
        raise InvalidInput(f"{person_id!r} is not a person id: see `immunize person list`.") from None
    if not yes:
        click.echo(f"This destroys the personal data of {pid} for good; it cannot be undone.", err=True)
        typed = click.prompt("Type the person id again to confirm", default="", show_default=False, err=True)
        if typed.strip().lower() != str(pid):
            click.echo("Not erased: the id typed did not match.", err=True)
            raise SystemExit(1)
    with open_ledger() as ledger:
        ledger.erase_person(
            person_id=pid,
            reason=reason,
            actor=Actor(actor_id, Role(role), None, (actor_province or "").strip() or None),
            idempotency_key=f"cli-erase:{pid}",
        )
    click.echo(f"Person {pid} erased.")
