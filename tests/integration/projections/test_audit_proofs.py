"""Proofs from the stored tree on SQLite and PostgreSQL, checked by the tests' own RFC 9162 code; the CLI
commands an auditor and a citizen run; a recomputed history caught by a checkpoint saved earlier."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import _register, immunize
from ledger.merkle import leaf_hash
from projections.audit import (
    AuditKey,
    Database,
    ProofRequestError,
    TamperingDetected,
    consistency_proof,
    inclusion_proof,
    make_checkpoints,
    trusted_keys,
    verify,
)
from projections.audit.note import NoteVerifier, open_note, origin_of
from projections.audit.tree import ledger_identity, load_checkpoints, tables
from tests.integration.projections.rfc9162 import consistency_roots, inclusion_root, tree_hash
from tests.integration.projections.test_audit_fixtures import (
    NOW,
    Tally,
    alter,
    audit_key,
    database,
    events_of,
    fill,
    store_url,
    tiny_ledger,
)

__all__ = ["audit_key", "store_url"]


def grown(url: str) -> Database:
    """600 events written as one batch of 500, then 100 single saves: tiles at level 8 close on the way."""
    fill(url, aggregates=100, rounds=4).close()
    app = tiny_ledger(url)
    for n in range(100):
        app.save(Tally(f"single{n}"))
    app.close()
    return database(url)


def _leaves(db: Database) -> list[bytes]:
    return [
        leaf_hash(r.position, r.originator_id, r.originator_version, r.topic, r.state) for r in events_of(db)
    ]


def test_inclusion_proofs_from_the_store_verify_independently(store_url: str, audit_key: AuditKey) -> None:
    db = grown(store_url)
    make_checkpoints(db, audit_key, NOW, interval=256)
    leaves = _leaves(db)
    rows = events_of(db)
    assert len(leaves) == 600
    for index in (0, 1, 255, 256, 257, 499, 500, 511, 512, 598, 599):
        proof = inclusion_proof(db, rows[index].position)
        assert (proof["leaf_index"], proof["tree_size"]) == (index, 600)
        assert bytes.fromhex(proof["leaf_hash"]) == leaves[index]
        path = [bytes.fromhex(h) for h in proof["inclusion_path"]]
        assert inclusion_root(index, 600, leaves[index], path) == tree_hash(leaves)
        assert bytes.fromhex(proof["root_hash"]) == tree_hash(leaves)
        assert open_note(
            proof["checkpoint"], [NoteVerifier(origin_of(ledger_identity(db) or ""), audit_key.public)]
        )
    # Against an earlier signed size too.
    earlier = inclusion_proof(db, rows[3].position, tree_size=256)
    path = [bytes.fromhex(h) for h in earlier["inclusion_path"]]
    assert inclusion_root(3, 256, leaves[3], path) == tree_hash(leaves[:256])
    db.close()


def test_consistency_proofs_from_the_store_verify_independently(store_url: str, audit_key: AuditKey) -> None:
    db = grown(store_url)
    leaves = _leaves(db)
    for old, new in ((1, 600), (7, 8), (255, 257), (256, 512), (300, 599), (512, 600), (600, 600)):
        proof = consistency_proof(db, old, new)
        path = [bytes.fromhex(h) for h in proof["consistency_path"]]
        old_root, new_root = tree_hash(leaves[:old]), tree_hash(leaves[:new])
        assert (bytes.fromhex(proof["old_root"]), bytes.fromhex(proof["new_root"])) == (old_root, new_root)
        assert consistency_roots(old, new, old_root, path) == (old_root, new_root)
    db.close()


def test_a_proof_reads_only_a_few_rows(tmp_path: Path, audit_key: AuditKey) -> None:
    """O(log n) rows: one block of leaf rows and one of tile nodes per 8 levels, not the log."""
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    db = grown(url)
    make_checkpoints(db, audit_key, NOW)
    queries: list[str] = []
    original = db.execute

    def counting(statement: str, params: object = ()) -> list[tuple[object, ...]]:
        queries.append(statement)
        return original(statement, params)  # type: ignore[arg-type]

    db.execute = counting  # type: ignore[method-assign]
    inclusion_proof(db, events_of(db)[10].position)
    assert len(queries) <= 8, queries
    db.close()


def test_bad_proof_requests_get_one_sentence_and_change_nothing(store_url: str, audit_key: AuditKey) -> None:
    db = grown(store_url)
    with pytest.raises(ProofRequestError, match="no checkpoint is signed yet"):
        inclusion_proof(db, 5)
    make_checkpoints(db, audit_key, NOW)
    checkpoints = load_checkpoints(db)
    with pytest.raises(ProofRequestError, match="no event at position 100000"):
        inclusion_proof(db, 100_000)
    with pytest.raises(ProofRequestError, match="not a log position"):
        inclusion_proof(db, 0)
    with pytest.raises(ProofRequestError, match="no signed checkpoint of tree size 7"):
        inclusion_proof(db, 5, tree_size=7)
    with pytest.raises(ProofRequestError, match="old size 9 is larger than the new size 8"):
        consistency_proof(db, 9, 8)
    with pytest.raises(ProofRequestError, match="beyond the tree"):
        consistency_proof(db, 1, 601)
    assert load_checkpoints(db) == checkpoints
    db.close()


def test_a_position_written_after_the_checkpoint_waits_for_the_next_one(
    store_url: str, audit_key: AuditKey
) -> None:
    db = grown(store_url)
    make_checkpoints(db, audit_key, NOW)
    app = tiny_ledger(store_url)
    app.save(Tally("late"))
    app.close()
    late = events_of(db)[-1].position
    with pytest.raises(ProofRequestError, match="beyond the checkpoint's tree of 600 leaves"):
        inclusion_proof(db, late)
    make_checkpoints(db, audit_key, NOW)
    assert inclusion_proof(db, late)["tree_size"] == 601
    db.close()


# ---- the auditor's and the citizen's commands ------------------------------------------------------


def _env(url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "IMMUNIZE_DATABASE_URL": url,
        "IMMUNIZE_KEY_DIR": str(tmp_path / "keys"),
        "IMMUNIZE_KEY_PASSPHRASE": "test passphrase",
        "IMMUNIZE_LANGUAGE": "en",
    }


def test_cli_prove_consistency_and_check_proof(store_url: str, tmp_path: Path) -> None:
    fill(store_url).close()
    _register()
    env = _env(store_url, tmp_path)
    runner = CliRunner()
    first = runner.invoke(immunize, ["audit", "checkpoint"], env=env)
    assert first.exit_code == 0, first.output
    fill(store_url, aggregates=3, rounds=1, prefix="more").close()
    assert runner.invoke(immunize, ["audit", "checkpoint"], env=env).exit_code == 0
    proved = runner.invoke(immunize, ["audit", "prove", "7", "--json"], env=env)
    assert proved.exit_code == 0, proved.output
    proof = json.loads(proved.stdout)
    assert set(proof) == {
        "position",
        "leaf_index",
        "tree_size",
        "leaf_hash",
        "inclusion_path",
        "root_hash",
        "checkpoint",
    }
    assert (proof["position"], proof["leaf_index"], proof["tree_size"]) == (7, 6, 31)
    earlier = json.loads(
        runner.invoke(immunize, ["audit", "prove", "7", "--json", "--tree-size", "25"], env=env).stdout
    )
    assert earlier["tree_size"] == 25
    consistency = json.loads(
        runner.invoke(immunize, ["audit", "consistency", "25", "31", "--json"], env=env).stdout
    )
    assert set(consistency) == {"old_size", "new_size", "old_root", "new_root", "consistency_path"}
    assert consistency["old_root"] == earlier["root_hash"]
    assert consistency["new_root"] == proof["root_hash"]

    # The citizen's file, checked offline with the published key (PEM or signed-note verifier key).
    proof_file = tmp_path / "proof.json"
    proof_file.write_text(proved.stdout)
    public = str(tmp_path / "keys" / "audit" / "ledger-audit-public.pem")
    checked = runner.invoke(
        immunize, ["audit", "check-proof", str(proof_file), "--public-key", public], env={}
    )
    assert checked.exit_code == 0, checked.output
    assert "proven: position 7 is leaf 6" in checked.stdout
    note_key = runner.invoke(immunize, ["audit", "public-key", "--note"], env=env).stdout.strip()
    by_note_key = runner.invoke(
        immunize, ["audit", "check-proof", str(proof_file), "--verifier-key", note_key], env={}
    )
    assert by_note_key.exit_code == 0, by_note_key.output
    forged = dict(proof, leaf_hash="00" * 32)
    proof_file.write_text(json.dumps(forged))
    refused = runner.invoke(
        immunize, ["audit", "check-proof", str(proof_file), "--public-key", public], env={}
    )
    assert refused.exit_code == 2
    assert "NOT PROVEN: the inclusion proof of position 7 fails" in refused.stderr
    other = tmp_path / "other.pem"
    other.write_text(AuditKey.generate().public.pem)
    proof_file.write_text(proved.stdout)
    stranger = runner.invoke(
        immunize, ["audit", "check-proof", str(proof_file), "--public-key", str(other)], env={}
    )
    assert stranger.exit_code == 2
    assert "not signed by a trusted audit key" in stranger.stderr


@pytest.mark.parametrize(
    ("args", "message", "status"),
    [
        (["audit", "prove", "99999", "--json"], "no event at position 99999", 4),
        (["audit", "prove", "3", "--json", "--tree-size", "4"], "no signed checkpoint of tree size 4", 4),
        (["audit", "consistency", "20", "10", "--json"], "old size 20 is larger than the new size 10", 3),
        (["audit", "consistency", "1", "99", "--json"], "beyond the tree", 4),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_by_kind(
    tmp_path: Path, args: list[str], message: str, status: int
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    fill(url).close()
    _register()
    runner = CliRunner()
    assert runner.invoke(immunize, ["audit", "checkpoint"], env=_env(url, tmp_path)).exit_code == 0
    result = runner.invoke(immunize, args, env=_env(url, tmp_path))
    assert result.exit_code == status
    assert result.stderr.count("\n") == 1
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_a_recomputed_history_is_caught_by_a_trusted_checkpoint(store_url: str, tmp_path: Path) -> None:
    """The intruder rewrites event 5, recomputes every leaf and tile, deletes the stored checkpoints and
    even signs a fresh one with the stolen audit key: the database alone looks intact; the auditor's
    saved checkpoint does not."""
    from tests.integration.projections.test_audit import _recompute_tree

    fill(store_url).close()
    _register()
    env = _env(store_url, tmp_path)
    runner = CliRunner()
    saved = tmp_path / "saved-checkpoint.txt"
    made = runner.invoke(immunize, ["audit", "checkpoint"], env=env)
    saved.write_text(made.stdout)
    public = str(tmp_path / "keys" / "audit" / "ledger-audit-public.pem")
    ok = runner.invoke(immunize, ["audit", "verify", "--trusted-checkpoint", str(saved)], env=env)
    assert ok.exit_code == 0, ok.output
    assert "extends the trusted checkpoint of tree size 25" in ok.stdout

    with database(store_url) as db:
        alter(db, 5)
        _recompute_tree(db)
        db.execute(f"DELETE FROM {db.table('transparency_checkpoints')}")
    assert (
        runner.invoke(immunize, ["audit", "checkpoint"], env=env).exit_code == 0
    )  # re-signed by the intruder
    fooled = runner.invoke(immunize, ["audit", "verify"], env=env)
    assert fooled.exit_code == 0, fooled.output  # the database alone cannot tell
    caught = runner.invoke(
        immunize, ["audit", "verify", "--trusted-checkpoint", str(saved), "--public-key", public], env=env
    )
    assert caught.exit_code == 2, caught.output
    assert "the trusted checkpoint (tree size 25) does not match the tree recomputed" in caught.stderr


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not a checkpoint at all", "truncated"),
        (b"immunize.vn/ledger/x\n25\n", "truncated"),
        (b"\xff" * 10, "UTF-8"),
    ],
)
def test_a_malformed_trusted_checkpoint_is_one_line(tmp_path: Path, content: bytes, message: str) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    fill(url).close()
    _register()
    runner = CliRunner()
    env = _env(url, tmp_path)
    assert runner.invoke(immunize, ["audit", "checkpoint"], env=env).exit_code == 0
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    result = runner.invoke(immunize, ["audit", "verify", "--trusted-checkpoint", str(bad)], env=env)
    assert result.exit_code == 3  # invalid
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_trusted_checkpoint_signed_by_another_key_is_refused(tmp_path: Path) -> None:
    from projections.audit.note import sign_checkpoint

    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    fill(url).close()
    _register()
    runner = CliRunner()
    env = _env(url, tmp_path)
    assert runner.invoke(immunize, ["audit", "checkpoint"], env=env).exit_code == 0
    with database(url) as db:
        forged = sign_checkpoint(AuditKey.generate(), origin_of(ledger_identity(db) or ""), 25, bytes(32))
    path = tmp_path / "forged.txt"
    path.write_text(forged.note)
    result = runner.invoke(immunize, ["audit", "verify", "--trusted-checkpoint", str(path)], env=env)
    assert result.exit_code == 3  # invalid
    assert "not signed by a trusted audit key" in result.stderr
    with database(url) as db:
        assert db.execute(f"SELECT COUNT(*) FROM {tables(db).leaves}")[0][0] == 1


def test_verify_checks_every_checkpoint_against_the_tree(store_url: str, audit_key: AuditKey) -> None:
    db = grown(store_url)
    run = make_checkpoints(db, audit_key, NOW, interval=100)
    assert [c.tree_size for c in run.signed] == [100, 200, 300, 400, 500, 600]
    assert verify(db, trusted_keys(db, [audit_key.public])).checkpoints == 6
    db.execute(f"DELETE FROM {tables(db).nodes}")
    with pytest.raises(TamperingDetected) as caught:
        verify(db, trusted_keys(db, [audit_key.public]))
    assert caught.value.tampering in {"tree-nodes", "inconsistent"}
    db.close()
