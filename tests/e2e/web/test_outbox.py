"""Message senders: the file outbox is private, the console never prints a whole phone number."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from web.errors import ConfigurationError
from web.outbox import ConsoleSender, FileSender, Message, sender_from_config


def test_the_file_outbox_appends_json_lines_readable_only_by_the_owner(tmp_path: Path) -> None:
    sender = FileSender(tmp_path / "out" / "outbox.jsonl")
    sender.send(Message("0912345678", "Mã: 123456"))
    sender.send(Message("0987654321", "Mã: 654321"))
    assert [m.text for m in sender.read()] == ["Mã: 123456", "Mã: 654321"]
    assert stat.S_IMODE(os.stat(sender.path).st_mode) == 0o600


def test_the_console_sender_masks_the_phone(capsys: pytest.CaptureFixture[str]) -> None:
    ConsoleSender().send(Message("0912345678", "code 123456"))
    err = capsys.readouterr().err
    assert "*******678" in err
    assert "0912345678" not in err
    assert "123456" in err


def test_a_gateway_sender_needs_an_https_url_and_a_token() -> None:
    with pytest.raises(ConfigurationError):
        sender_from_config("gateway", outbox_file="", gateway_url="", gateway_token="")
    with pytest.raises(ConfigurationError):
        sender_from_config(
            "gateway", outbox_file="", gateway_url="http://sms.example/send", gateway_token="t"
        )
    with pytest.raises(ConfigurationError):
        sender_from_config("pigeon", outbox_file="", gateway_url="", gateway_token="")
