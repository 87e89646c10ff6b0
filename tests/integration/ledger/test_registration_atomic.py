"""Registration is all or nothing: the person's events, their data key and the national-ID claim are
written in one transaction (ledger.claims), on a real SQLite file and a real PostgreSQL database.

- A process killed with SIGKILL at the worst moment (every row written, nothing committed) leaves
  nothing: the number registers again at once (it used to be blocked for 5 minutes by the claim written
  before the save), and no data key is left for a person with no events.
- Two registrations of one number at the same moment, each from its own ledger (its own connections),
  give one person and one clear refusal: desk + desk, desk + CLI (an admin actor), and desk + online
  self-registration (the number typed online is held in the same transaction as the citizen's events,
  and a registration by staff checks the holds in its own, so no online registration can slip between
  a check and a write).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import pytest

from ledger import claims
from ledger.application import Ledger
from ledger.errors import DuplicateNationalId, LedgerError, NationalIdDeclaredOnline
from ledger.keytables import HOLDS_TABLE, INDEX_TABLE, KEYS_TABLE, MARKERS, SqlKeyTable
from ledger.settings import parse_database_url
from ledger.values import Actor, Role

NOW = datetime(2021, 10, 1, 3, 0, tzinfo=UTC)
ADMIN = Actor("admin-1", Role.ADMIN)
CITIZEN = Actor("0912345678", Role.CITIZEN)
WARD = "00001"


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ledger.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def open_ledger(url: str, tmp_path: Path) -> Ledger:
    return Ledger(url, clock=lambda: NOW, key_dir=tmp_path / "keys")


@pytest.fixture
def ledgers(store_url: str, tmp_path: Path) -> Iterator[tuple[Ledger, Ledger]]:
    """Two ledgers on one database, as two processes would have (each its own connections)."""
    first = open_ledger(store_url, tmp_path)
    second = open_ledger(store_url, tmp_path)
    try:
        yield first, second
    finally:
        first.close()
        second.close()


def register(ledger: Ledger, number: str, actor: Actor, name: str = "Nguyễn Văn An") -> UUID:
    return ledger.register_person(
        national_id=number,
        full_name=name,
        date_of_birth="1980-01-02",
        sex="male",
        phone=None,
        ward_code=WARD,
        priority_group="HEALTH_WORKER",
        actor=actor,
        idempotency_key="test-" + uuid4().hex,
    )


def rows(ledger: Ledger, table: str) -> list[tuple[object, ...]]:
    """The table's rows (the holds table's marker rows left out)."""
    keys = ledger.keys.table
    assert isinstance(keys, SqlKeyTable)
    with keys.db.transaction(write=False) as cursor:
        cursor.execute(f"SELECT * FROM {keys.db.table(table)}")
        found = [tuple(r) for r in cursor.fetchall()]
    return [r for r in found if not (isinstance(r[0], bytes | memoryview) and bytes(r[0]) in MARKERS)]


def staff(site: str = "a") -> Actor:
    return Actor(f"nurse-{site}", Role.ADMIN)


# ---- killed at the worst moment ------------------------------------------------------------------

CHILD = r"""
import sys, time
from datetime import UTC, datetime
from pathlib import Path

from ledger.application import Ledger
from ledger.settings import parse_database_url
from ledger.values import Actor, Role


def stop_here(*_args: object) -> None:
    print("WRITTEN", flush=True)
    time.sleep(600)


try:
    from ledger import claims  # every row written in the events' transaction, not yet committed

    claims.AFTER_WRITE.append(stop_here)
except ImportError:  # the code before ledger.claims: the claim was committed before the save
    import ledger.transparency as transparency

    original = transparency.append_leaves

    def wrapped(*args: object, **kwargs: object) -> None:
        original(*args, **kwargs)
        stop_here()

    transparency.append_leaves = wrapped

ledger = Ledger(sys.argv[1], clock=lambda: datetime(2021, 10, 1, 3, 0, tzinfo=UTC), key_dir=Path(sys.argv[2]))
ledger.register_person(
    national_id="001085012345", full_name="Trần Thị Bình", date_of_birth="1985-03-02", sex="female",
    phone=None, ward_code="00001", priority_group="HEALTH_WORKER", actor=Actor("admin-1", Role.ADMIN),
    idempotency_key="killed-registration",
)
print("SAVED", flush=True)
"""


def test_a_registration_killed_before_its_commit_leaves_nothing_and_the_number_registers_at_once(
    store_url: str, tmp_path: Path
) -> None:
    open_ledger(store_url, tmp_path).close()  # tables and master key exist before the child starts
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, store_url, str(tmp_path / "keys")],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "WRITTEN"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()

    ledger = open_ledger(store_url, tmp_path)
    try:
        assert (ledger.recorder.max_notification_id() or 0) == 0
        assert rows(ledger, KEYS_TABLE) == []  # no key for a person with no events
        assert rows(ledger, INDEX_TABLE) == []  # no claim without its person
        assert ledger.find_person("001085012345") is None
        # The same number, right away (the old code refused it for 5 minutes: "already registered").
        person = register(ledger, "001085012345", ADMIN, "Trần Thị Bình")
        assert ledger.find_person("001085012345") == person
        assert ledger.person_record(person).full_name == "Trần Thị Bình"
        assert [UUID(str(r[0])) for r in rows(ledger, KEYS_TABLE)] == [person]
    finally:
        ledger.close()


def test_a_failure_between_the_writes_rolls_back_events_key_and_claim(ledgers: tuple[Ledger, Ledger]) -> None:
    ledger, _ = ledgers
    register(ledger, "001085000001", ADMIN)
    head, keys, index = (
        ledger.recorder.max_notification_id(),
        rows(ledger, KEYS_TABLE),
        rows(ledger, INDEX_TABLE),
    )

    def fail() -> None:
        raise RuntimeError("the disk went away")

    claims.AFTER_WRITE.append(fail)
    try:
        with pytest.raises(RuntimeError, match="disk"):
            register(ledger, "001085000002", ADMIN)
    finally:
        claims.AFTER_WRITE.remove(fail)
    assert ledger.recorder.max_notification_id() == head
    assert rows(ledger, KEYS_TABLE) == keys
    assert rows(ledger, INDEX_TABLE) == index
    assert ledger.find_person("001085000002") is None
    person = register(ledger, "001085000002", ADMIN)  # nothing left behind to block it
    assert ledger.find_person("001085000002") == person


def test_a_claim_left_by_the_old_code_is_taken_over_at_once(ledgers: tuple[Ledger, Ledger]) -> None:
    """A store written by the code before this change may hold a claim whose save never came (a crash
    between the two): no registration is ever in flight between them now, so it is taken over."""
    ledger, _ = ledgers
    keys = ledger.keys.table
    assert isinstance(keys, SqlKeyTable)
    with keys.db.transaction(write=True) as cursor:
        cursor.execute(
            f"INSERT INTO {keys.db.table(INDEX_TABLE)} (digest, person_id, claimed_at) VALUES (?, ?, ?)",
            (ledger.keys.national_id_digest("001085000003"), uuid4().hex, NOW.isoformat()),
        )
    person = register(ledger, "001085000003", ADMIN)
    assert ledger.find_person("001085000003") == person


# ---- two registrations of one number at the same moment -------------------------------------------


def race(first: Callable[[], UUID], second: Callable[[], UUID]) -> list[UUID | LedgerError]:
    """Run both at once (released together by a barrier); each answer: the person id or the error."""
    barrier = threading.Barrier(2)
    answers: list[UUID | LedgerError] = [ValueError("not run"), ValueError("not run")]  # type: ignore[list-item]

    def run(index: int, call: Callable[[], UUID]) -> None:
        barrier.wait()
        try:
            answers[index] = call()
        except LedgerError as exc:
            answers[index] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return answers


@pytest.mark.parametrize("other", ["desk", "cli"])
def test_two_staff_registrations_of_one_number_give_one_person_and_one_refusal(
    ledgers: tuple[Ledger, Ledger], other: str
) -> None:
    desk, second = ledgers
    second_actor = staff("b") if other == "desk" else ADMIN  # the CLI acts as an admin
    for n in range(6):
        number = f"0010850100{n:02d}"
        answers = race(
            lambda n=number: register(desk, n, staff("a")), lambda n=number: register(second, n, second_actor)
        )
        people = [a for a in answers if isinstance(a, UUID)]
        refusals = [a for a in answers if isinstance(a, LedgerError)]
        assert len(people) == 1, answers
        assert len(refusals) == 1, answers
        assert isinstance(refusals[0], DuplicateNationalId), answers
        assert "look them up" in str(refusals[0])
        assert desk.find_person(number) == people[0] == second.find_person(number)
    assert len(rows(desk, INDEX_TABLE)) == 6
    assert len(rows(desk, KEYS_TABLE)) == 6  # the refused ones left no key


def test_desk_and_online_registration_at_once_give_one_person_with_the_number(
    ledgers: tuple[Ledger, Ledger],
) -> None:
    """Online first: the desk is refused (`national_id_declared_online`, the citizen is confirmed
    instead). Desk first: the number is the desk's person's, and the citizen gets the same answer as for
    any number (issue 12: no probing), holding a number that can never be confirmed as theirs."""
    desk, online = ledgers
    for n in range(6):
        number = f"0010850200{n:02d}"
        answers = race(
            lambda n=number: register(desk, n, staff()), lambda n=number: register(online, n, CITIZEN)
        )
        at_desk, citizen = answers
        assert isinstance(citizen, UUID), answers  # online never refuses (same answer, free or taken)
        if isinstance(at_desk, UUID):
            assert desk.find_person(number) == at_desk
        else:
            assert isinstance(at_desk, NationalIdDeclaredOnline), answers
            assert desk.find_person(number) is None  # nobody owns it until staff see the card
            assert [
                UUID(str(r[1]))
                for r in rows(desk, HOLDS_TABLE)
                if r[0] == desk.keys.national_id_digest(number)
            ] == [citizen]


def test_a_citizen_registering_between_the_desks_check_and_its_write_is_caught(
    ledgers: tuple[Ledger, Ledger],
) -> None:
    """The worst interleaving, made certain: the desk's registration has built its events (after any
    check the desk did before) when the citizen's online registration commits; the desk's save is
    then refused in its own transaction and writes nothing."""
    desk, online = ledgers
    number = "001085030001"
    citizen: list[UUID] = []
    heads: list[int | None] = []
    original = desk.keys.prepare_keys

    def citizen_registers_now(owners: object) -> list[tuple[UUID, bytes]]:
        if not citizen:
            citizen.append(register(online, number, CITIZEN))
            heads.append(online.recorder.max_notification_id())
        return original(owners)  # type: ignore[arg-type]

    desk.keys.prepare_keys = citizen_registers_now  # type: ignore[method-assign]
    try:
        with pytest.raises(NationalIdDeclaredOnline, match="confirm the number"):
            register(desk, number, staff())
    finally:
        del desk.keys.prepare_keys
    assert citizen
    assert desk.recorder.max_notification_id() == heads[0]
    assert desk.find_person(number) is None
    desk.confirm_national_id(person_id=citizen[0], actor=staff(), idempotency_key="confirm-" + uuid4().hex)
    assert desk.find_person(number) == citizen[0]  # the citizen is the one person with the number
    assert rows(desk, HOLDS_TABLE) == []  # confirmed: the hold became the claim


def test_erasure_drops_the_hold_so_the_number_can_be_registered(ledgers: tuple[Ledger, Ledger]) -> None:
    desk, online = ledgers
    citizen = register(online, "001085040001", CITIZEN)
    with pytest.raises(NationalIdDeclaredOnline):
        register(desk, "001085040001", staff())
    desk.erase_person(person_id=citizen, reason="asked", actor=ADMIN, idempotency_key="erase-" + uuid4().hex)
    assert rows(desk, HOLDS_TABLE) == []
    assert desk.find_person("001085040001") is None
    person = register(desk, "001085040001", staff())
    assert desk.find_person("001085040001") == person


def test_a_store_from_before_the_holds_table_gets_its_holds_from_the_log(
    store_url: str, tmp_path: Path
) -> None:
    """Numbers typed online before this change are found in the log once (erased and confirmed people
    left out), so staff registrations, the CLI's included, check them too."""
    ledger = open_ledger(store_url, tmp_path)
    try:
        waiting = register(ledger, "001085050001", CITIZEN)
        confirmed = register(ledger, "001085050002", CITIZEN)
        ledger.confirm_national_id(person_id=confirmed, actor=ADMIN, idempotency_key="c-" + uuid4().hex)
        erased = register(ledger, "001085050003", CITIZEN)
        ledger.erase_person(person_id=erased, reason="asked", actor=ADMIN, idempotency_key="e-" + uuid4().hex)
        keys = ledger.keys.table
        assert isinstance(keys, SqlKeyTable)
        with keys.db.transaction(write=True) as cursor:  # as a store written before the table existed
            cursor.execute(f"DELETE FROM {keys.db.table(HOLDS_TABLE)}")
    finally:
        ledger.close()
    ledger = open_ledger(store_url, tmp_path)
    try:
        assert [UUID(str(r[1])) for r in rows(ledger, HOLDS_TABLE)] == [waiting]
        with pytest.raises(NationalIdDeclaredOnline):
            register(ledger, "001085050001", ADMIN)
        person = register(ledger, "001085050003", ADMIN)  # the erased person's number is free
        assert ledger.find_person("001085050003") == person
    finally:
        ledger.close()


def test_a_restored_store_reads_its_holds_from_the_log(tmp_path: Path) -> None:
    """A restore writes events by SQL, not through registrations: it empties the holds table (and its
    marker), so the ledger reads the holds from the restored log when it opens, even if a ledger had
    already opened the empty target."""
    from projections.audit import AuditKey, trusted_keys
    from projections.backup import restore_backup, write_backup
    from tests.integration.projections.test_audit_fixtures import database

    key = AuditKey.generate()
    source, target = f"sqlite:///{tmp_path / 'source.db'}", f"sqlite:///{tmp_path / 'target.db'}"
    ledger = open_ledger(source, tmp_path)
    citizen = register(ledger, "001085070001", CITIZEN)
    ledger.close()
    open_ledger(target, tmp_path).close()  # the empty target was opened once: its marker says "read"
    backup = tmp_path / "ledger.backup.gz"
    with database(source) as db, backup.open("wb") as out:
        write_backup(db, out, trusted_keys(db, [key.public]), NOW)
    restore_backup(backup, parse_database_url(target), [key.public])
    restored = open_ledger(target, tmp_path)
    try:
        assert [UUID(str(r[1])) for r in rows(restored, HOLDS_TABLE)] == [citizen]
        with pytest.raises(NationalIdDeclaredOnline):
            register(restored, "001085070001", ADMIN)
    finally:
        restored.close()
