"""What the views reach through `current_app`: accounts, the message sender, the platform, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app

from web.accounts import Accounts
from web.outbox import MessageSender

if TYPE_CHECKING:
    from services.backend import Backend
    from web.platform import Platform


@dataclass
class WebContext:
    accounts: Accounts
    sender: MessageSender
    platform: Platform
    clock: Callable[[], datetime]

    @property
    def backend(self) -> Backend:
        """What the services work on (opened on first use)."""
        return self.platform.backend


def ctx() -> WebContext:
    context: WebContext = current_app.extensions["immunize"]
    return context
