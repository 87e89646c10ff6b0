"""Vaccine stock from a shell: `immunize stock [--site SITE_ID] --json` (stock per site and product),
and `immunize stock receive|allocate|lots|close-day|end-of-day`.

The acting officer is given with --actor, --role and --actor-province (or IMMUNIZE_ACTOR_PROVINCE):
a province officer receives and allocates only in their own province, as on the web and the API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import click

from cli.campaign_context import as_actor, campaign_service, parse_day, with_actor
from cli.ledger_context import open_ledger
from projections.store import open_view_store
from services.stock import StockService


def _echo_json(data: object) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@contextmanager
def stock_service() -> Iterator[StockService]:
    with open_ledger() as ledger:
        store = open_view_store(ledger.store)
        try:
            yield StockService(ledger, store)
        finally:
            store.close()


@click.group("stock", invoke_without_command=True)
@click.option("--site", "site_id", default=None, help="One site's stock.")
@click.option("--date", "day", default=None, help="Stock on this day (default today).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def stock(ctx: click.Context, site_id: str | None, day: str | None, as_json: bool) -> None:
    """Stock per site and product: on hand (unexpired), booked, free, expired. Subcommands receive
    shipments, allocate lots, list lots and close the day's opened vials."""
    if ctx.invoked_subcommand is not None:
        return
    with campaign_service() as service:
        rows = service.stock(site_id=site_id, day=parse_day(day) if day else None)
    if as_json:
        _echo_json([r.as_json() for r in rows])
        return
    for r in rows:
        click.echo(
            f"{r.site_id}  {r.product:<14} on hand {r.on_hand:>7}  booked {r.booked:>6}  free {r.free:>7}"
        )


@stock.command("receive")
@click.option("--province", "province_code", required=True, help="The store's province (GSO code, e.g. 01).")
@click.option("--product", required=True, help="The DCC medicinal product code (vaccines.csv mp_code).")
@click.option("--lot", "lot_number", required=True, help="The lot number on the vials.")
@click.option("--expiry", required=True, help="Expiry date, YYYY-MM-DD.")
@click.option("--doses-per-vial", required=True, help="Doses in one vial, from the vial label (1 to 50).")
@click.option("--doses", default=None, help="How many doses arrived (or --vials).")
@click.option("--vials", default=None, help="How many vials arrived (or --doses).")
@click.option(
    "--key", "idempotency_key", default=None, help="Idempotency key (a retry with it writes nothing)."
)
@click.option("--json", "as_json", is_flag=True)
@with_actor
def stock_receive(
    province_code: str,
    product: str,
    lot_number: str,
    expiry: str,
    doses_per_vial: str,
    doses: str | None,
    vials: str | None,
    idempotency_key: str | None,
    as_json: bool,
    actor_id: str,
    role: str,
    actor_site: str | None,
) -> None:
    """A shipment line arrives at a province store; prints the store lot id."""
    with stock_service() as service:
        lot_id = service.receive(
            province_code=province_code,
            product=product,
            lot_number=lot_number,
            expiry=parse_day(expiry),
            doses_per_vial=doses_per_vial,
            doses=doses,
            vials=vials,
            actor=as_actor(actor_id, role, actor_site),
            idempotency_key=idempotency_key,
        )
    if as_json:
        _echo_json({"lot_id": str(lot_id)})
    else:
        click.echo(f"Received lot {lot_number} into the store of province {province_code}: {lot_id}")


@stock.command("allocate")
@click.option("--lot", "lot_id", required=True, help="The store lot id (from `immunize stock lots`).")
@click.option("--site", "site_id", required=True, help="The site receiving the vials.")
@click.option("--doses", default=None, help="Doses to send, in whole vials (or --vials).")
@click.option("--vials", default=None, help="Vials to send (or --doses).")
@click.option(
    "--key", "idempotency_key", default=None, help="Idempotency key (a retry with it writes nothing)."
)
@click.option("--json", "as_json", is_flag=True)
@with_actor
def stock_allocate(
    lot_id: str,
    site_id: str,
    doses: str | None,
    vials: str | None,
    idempotency_key: str | None,
    as_json: bool,
    actor_id: str,
    role: str,
    actor_site: str | None,
) -> None:
    """Send whole vials of a store lot to a site of the same province; prints the site lot id."""
    with stock_service() as service:
        site_lot = service.allocate(
            store_lot_id=lot_id,
            site_id=site_id,
            doses=doses,
            vials=vials,
            actor=as_actor(actor_id, role, actor_site),
            idempotency_key=idempotency_key,
        )
    if as_json:
        _echo_json({"site_lot_id": str(site_lot)})
    else:
        click.echo(f"Allocated to site {site_id}: site lot {site_lot}")


@stock.command("return")
@click.option("--lot", "site_lot_id", required=True, help="The site lot id (from `immunize stock lots`).")
@click.option("--doses", default=None, help="Doses to return, in whole unopened vials (or --vials).")
@click.option("--vials", default=None, help="Unopened vials to return (or --doses).")
@click.option(
    "--key", "idempotency_key", default=None, help="Idempotency key (a retry with it writes nothing)."
)
@click.option("--json", "as_json", is_flag=True)
@with_actor
def stock_return(
    site_lot_id: str,
    doses: str | None,
    vials: str | None,
    idempotency_key: str | None,
    as_json: bool,
    actor_id: str,
    role: str,
    actor_site: str | None,
) -> None:
    """Return unopened vials of a site's lot to the province store it came from (never opened vials,
    never more than the site holds)."""
    with stock_service() as service:
        returned = service.return_vials(
            site_lot_id=site_lot_id,
            doses=doses,
            vials=vials,
            actor=as_actor(actor_id, role, actor_site),
            idempotency_key=idempotency_key,
        )
    if as_json:
        _echo_json({"site_lot_id": site_lot_id, "returned": returned})
    else:
        click.echo(f"Returned {returned} doses of site lot {site_lot_id} to the province store.")


@stock.command("lots")
@click.option("--site", "site_id", default=None, help="One site's lots.")
@click.option("--json", "as_json", is_flag=True)
@with_actor
def stock_lots(site_id: str | None, as_json: bool, actor_id: str, role: str, actor_site: str | None) -> None:
    """Store lots, site allocations and allocation vs use, as far as the actor may see."""
    with stock_service() as service:
        picture = service.picture(as_actor(actor_id, role, actor_site), site_id=site_id)
    if as_json:
        _echo_json(picture.as_json())
        return
    for s in picture.store_lots:
        click.echo(
            f"store {s.province}  {s.lot_id}  {s.product:<14} {s.lot_number:<12} exp {s.expiry}  "
            f"received {s.received:>7}  allocated {s.allocated:>7}  returned {s.returned:>6}  "
            f"in store {s.available:>7}"
        )
    for r in picture.site_lots:
        click.echo(
            f"site {r.site_id}  {r.site_lot_id}  {r.product:<14} {r.lot_number:<12} exp {r.expiry}  "
            f"allocated {r.allocated:>6}  used {r.used:>6}  wasted {r.wasted:>5}  returned {r.returned:>5}  "
            f"left {r.remaining:>6}  unopened {r.sealed:>6}"
            + ("" if r.from_store else "  (received at the site)")
        )


@stock.command("close-day")
@click.option("--site", "site_id", required=True)
@click.option("--date", "day", default=None, help="The day whose sessions ended (default today).")
@with_actor
def stock_close_day(site_id: str, day: str | None, actor_id: str, role: str, actor_site: str | None) -> None:
    """End of a site's sessions: doses left in the vials opened that day are recorded as wasted."""
    with stock_service() as service:
        wasted = service.close_day(
            site_id,
            parse_day(day) if day else service.ledger.today(),
            actor=as_actor(actor_id, role, actor_site),
        )
    click.echo(f"{wasted} doses left in opened vials recorded as wasted.")


@stock.command("end-of-day")
@click.option("--date", "day", default=None, help="Close vials opened up to this day (default yesterday).")
def stock_end_of_day(day: str | None) -> None:
    """The daily job's stock part: every site's opened vials up to the day, expired doses written off."""
    with stock_service() as service:
        until = parse_day(day) if day else date.fromordinal(service.ledger.today().toordinal() - 1)
        done = service.end_of_day(until)
    click.echo(
        f"{done['wasted_open']} doses wasted in opened vials, {done['expired']} expired doses written off."
    )


COMMANDS = (stock,)
