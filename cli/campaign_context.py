"""What the campaign's commands share (`immunize site|registration|plan|appointment|messages`; stock:
cli/stock_commands.py): the campaign service on IMMUNIZE_DATABASE_URL, the acting operator's options, dates
and JSON output; and the demo's campaign seed.

Operators act as `--actor` (default "cli-operator") in `--role` (default province_officer), of
`--actor-province` (or IMMUNIZE_ACTOR_PROVINCE: a province officer acts only there). Every
command goes through services.campaign, like the web pages and the API.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar
from uuid import UUID

import click

from cli.ledger_context import open_ledger
from ledger.application import Ledger
from ledger.campaign.errors import CampaignInputInvalid
from ledger.errors import InvalidInput
from ledger.values import Actor, Role
from projections.site_queries import all_site_ids
from projections.store import open_view_store
from services.campaign import CampaignService
from services.campaign_demo import seed_campaign


def echo_json(data: object) -> None:
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


def as_actor(actor_id: str, role: str, site: str | None = None) -> Actor:
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
    """--actor-province goes to the context, so every command's `as_actor` carries it."""
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


def parse_day(text: str) -> date:
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
