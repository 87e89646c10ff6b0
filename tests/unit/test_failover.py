"""Reconnect: a command lost with its connection is run again, within a bound, then fails clearly.

The store here is a function that fails as eventsourcing does when the primary goes away (the real
cluster is exercised by tests/ha); time is a parameter, so nothing sleeps.
"""

from __future__ import annotations

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError

from ledger.errors import InvalidInput, PrimaryUnavailable, StoreError
from ledger.failover import Reconnect, is_connection_loss
from ledger.settings import parse_database_url

URL = "postgresql://u:p@db1:5432,db2:5432,db3:5432/ledger?target_session_attrs=read-write"


class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def lost() -> StoreError:
    error = StoreError("The ledger database failed while saving: try again later.")
    error.__cause__ = OperationalError("server closed the connection unexpectedly")
    return error


def test_a_lost_connection_is_retried_until_a_primary_answers() -> None:
    time = FakeTime()
    reconnect = Reconnect(parse_database_url(URL), clock=time.clock, sleep=time.sleep)
    failures = [lost(), lost(), lost()]

    def command() -> str:
        if failures:
            raise failures.pop()
        return "done"

    assert reconnect.run(command, "record_dose") == "done"
    assert len(time.slept) == 3


def test_after_the_bound_the_error_names_every_host_and_says_what_to_do() -> None:
    time = FakeTime()
    settings = parse_database_url(URL + "&failover_timeout=30")
    reconnect = Reconnect(settings, clock=time.clock, sleep=time.sleep)

    def command() -> str:
        raise lost()

    with pytest.raises(PrimaryUnavailable) as caught:
        reconnect.run(command, "record_dose")
    message = str(caught.value)
    assert message.startswith("no primary among db1:5432, db2:5432, db3:5432 after 30 s")
    assert "same idempotency key" in message
    assert sum(time.slept) == pytest.approx(30.0)


def test_other_errors_are_not_retried() -> None:
    time = FakeTime()
    reconnect = Reconnect(parse_database_url(URL), clock=time.clock, sleep=time.sleep)
    calls = []

    def command() -> str:
        calls.append(1)
        raise InvalidInput("The dose date is not a date: use YYYY-MM-DD.")

    with pytest.raises(InvalidInput):
        reconnect.run(command, "record_dose")
    assert calls == [1]
    assert not is_connection_loss(IntegrityError("duplicate key"))


def test_sqlite_and_memory_stores_run_commands_once() -> None:
    reconnect = Reconnect(parse_database_url("sqlite:///var/x.db"))
    with pytest.raises(StoreError):
        reconnect.run(lambda: (_ for _ in ()).throw(lost()), "record_dose")
