"""Issue 12, items 7 and 11: `immunize serve` fails closed, and sends HSTS when it does serve.

The review ran `immunize serve` on development keys with no passphrase and the console sender; it
started without a word. Here the real command runs as a subprocess, as an operator would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

import pytest

from keys.development import ensure_development_keys
from keys.store import KeyStore
from tests.e2e.web.test_cli import free_port
from web.production import production_problems

STRONG = "correct horse battery staple"
NOW = datetime.now(UTC).replace(microsecond=0)


def immunize() -> str:
    return str(Path(sys.executable).with_name("immunize"))


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("IMMUNIZE_") or key == "IMMUNIZE_TEST_POSTGRES_URL"
    }
    env.pop("IMMUNIZE_TEST_POSTGRES_URL", None)
    env.update(
        {
            "IMMUNIZE_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.db'}",
            "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
        }
    )
    env.update(extra)
    return env


def production_env(tmp_path: Path) -> dict[str, str]:
    """Production keys (600,000 rounds: IMMUNIZE_KEY_KDF_ROUNDS unset), a gateway sender, HTTPS cookies."""
    env = base_env(
        tmp_path,
        IMMUNIZE_KEY_PASSPHRASE=STRONG,
        IMMUNIZE_MESSAGE_SENDER="gateway",
        IMMUNIZE_SMS_GATEWAY_URL="https://sms.example.invalid/send",
        IMMUNIZE_SMS_GATEWAY_TOKEN="token-for-the-test-gateway",
    )
    init = subprocess.run(
        [immunize(), "keys", "init"], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert init.returncode == 0, init.stderr
    return env


def test_serve_refuses_the_reviews_development_configuration(tmp_path: Path) -> None:
    ensure_development_keys(tmp_path / "keys", NOW, environ={}, warn=lambda _line: None)
    port = free_port()
    env = base_env(tmp_path, IMMUNIZE_SECRET_KEY="short-secret")
    result = subprocess.run(
        [immunize(), "serve", "--port", str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    text = result.stderr
    assert "refusing to start" in text
    assert "development keys" in text
    assert "IMMUNIZE_KEY_PASSPHRASE is not set" in text
    assert "IMMUNIZE_MESSAGE_SENDER is 'console'" in text
    assert "IMMUNIZE_SECRET_KEY is shorter than 32 bytes" in text
    assert "Traceback" not in text


def serve_until_healthy(env: dict[str, str], tmp_path: Path, *extra: str) -> tuple[str, dict[str, str]]:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [immunize(), "serve", "--port", str(port), *extra],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                        return log.read_text(), dict(response.headers)
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"serve did not answer: {log.read_text()}")
                    time.sleep(0.2)
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_serve_starts_on_a_production_configuration_and_sends_hsts(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    _log, headers = serve_until_healthy(env, tmp_path)
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


def test_allow_development_starts_but_says_what_is_wrong(tmp_path: Path) -> None:
    ensure_development_keys(tmp_path / "keys", NOW, environ={}, warn=lambda _line: None)
    log, _headers = serve_until_healthy(base_env(tmp_path), tmp_path, "--allow-development")
    assert "WARNING" in log
    assert "development keys" in log


def test_each_weakness_is_named_on_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMMUNIZE_KEY_KDF_ROUNDS", raising=False)
    KeyStore(tmp_path / "keys").init(STRONG, NOW)
    good = {
        "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
        "IMMUNIZE_SECRET_KEY": "",
        "MESSAGE_SENDER": "gateway",
        "SESSION_COOKIE_SECURE": True,
    }
    environ = {"IMMUNIZE_KEY_PASSPHRASE": STRONG}
    assert production_problems(good, environ, NOW) == []
    cases = [
        ({"IMMUNIZE_SECRET_KEY": "x" * 31}, {}, "shorter than 32 bytes"),
        ({"MESSAGE_SENDER": "file"}, {}, "'file'"),
        ({"SESSION_COOKIE_SECURE": False}, {}, "IMMUNIZE_SECURE_COOKIES is off"),
        ({}, {"IMMUNIZE_KEY_PASSPHRASE": "not the passphrase"}, "cannot be used"),
        ({}, {"IMMUNIZE_KEY_PASSPHRASE": ""}, "is not set"),
        ({}, {"IMMUNIZE_KEY_KDF_ROUNDS": "1000"}, "lowers key protection"),
    ]
    for config, env, expected in cases:
        problems = production_problems({**good, **config}, {**environ, **env}, NOW)
        assert len(problems) == 1, (expected, problems)
        assert expected in problems[0]
