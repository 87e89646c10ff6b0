"""The `immunize` console command: one group per area, each in its own module."""

from __future__ import annotations

import click

from cli.errors import DEFAULT_LANGUAGE, LANGUAGE_ENV, ReportingGroup

FriendlyGroup = ReportingGroup  # its earlier name, which tests building a partial group still import


@click.group(cls=ReportingGroup)
@click.version_option(package_name="immunize")
@click.option(
    "--lang",
    type=click.Choice(["vi", "en"], case_sensitive=False),
    envvar=LANGUAGE_ENV,
    default=DEFAULT_LANGUAGE,
    show_default=True,
    show_envvar=True,
    help="Language of error messages: vi (Vietnamese) or en (English).",
)
def immunize(lang: str) -> None:
    """Event-sourced immunization ledger with signed QR certificates."""


# Each area keeps its commands in its own module, exposing COMMANDS.
COMMAND_MODULES = (
    "cli.ledger_commands",  # demo seed, person list/show
    "cli.keys_commands",  # keys init/rotate/revoke/export/trust-list/revocation-list
    "cli.certificate_commands",  # certificate issue
    "cli.projection_commands",  # projections run/rebuild/digest, backup, restore
    "cli.audit_commands",  # audit checkpoint/verify/prove/consistency/check-proof/export/replay
    "cli.web_commands",  # serve, run
    "cli.site_commands",  # site list/add/edit/pause/reopen
    "cli.registration_commands",  # registration add/list
    "cli.plan_commands",  # plan day/province/week/cancel-session/close/run-day
    "cli.appointment_commands",  # appointment check-in/no-show/came-late/dose/cancel/move
    "cli.message_commands",  # messages list/send/reply
    "cli.stock_commands",  # stock, stock receive/allocate/lots/close-day/end-of-day
    "cli.simulate_commands",  # simulate
)


def _register() -> None:
    import importlib

    for name in COMMAND_MODULES:
        module = importlib.import_module(name)
        for command in module.COMMANDS:
            immunize.add_command(command)


def main() -> None:
    _register()
    immunize(prog_name="immunize")
