"""RFC 9162 hashing and proofs (ledger.merkle) against an independent implementation and known answers;
the C2SP signed-note checkpoint format (projections.audit.note). No store needed."""

from __future__ import annotations

import base64
import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.merkle import (
    EMPTY_ROOT,
    Frontier,
    ProofError,
    canonical,
    consistency_path,
    inclusion_path,
    leaf_hash,
    leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from projections.audit import AuditKey
from projections.audit.note import (
    NoteError,
    NoteVerifier,
    open_note,
    parse_note,
    sign_checkpoint,
    verifier_key,
)
from tests.integration.projections.rfc9162 import consistency_roots, inclusion_root, tree_hash

# The known answers of Certificate Transparency's reference implementation (merkle tree tests, also
# used by Trillian): MTH of the first n of these leaves, n = 1..8.
CT_LEAVES = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
CT_ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def _leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(b"\x00" + i.to_bytes(4, "big")).digest() for i in range(n)]


def _subtree(leaves: list[bytes]):  # type: ignore[no-untyped-def]
    def subtree(level: int, index: int) -> bytes:
        return tree_hash(leaves[index << level : (index + 1) << level])

    return subtree


def test_the_tree_hash_matches_certificate_transparencys_known_answers() -> None:
    frontier = Frontier()
    assert frontier.root() == EMPTY_ROOT == hashlib.sha256(b"").digest()
    for data, root in zip(CT_LEAVES, CT_ROOTS, strict=True):
        frontier.append(hashlib.sha256(b"\x00" + bytes.fromhex(data)).digest())
        assert frontier.root().hex() == root
    assert (
        tree_hash([hashlib.sha256(b"\x00" + bytes.fromhex(d)).digest() for d in CT_LEAVES]).hex()
        == CT_ROOTS[-1]
    )


def test_a_leaf_is_the_documented_canonical_event() -> None:
    encoded = canonical(7, "3adb4aea-864b-46ec-a47f-24d35e67dc6a", 2, "ledger.x:Dose", b"\x00\xff")
    assert encoded == (
        (7).to_bytes(8, "big", signed=True)
        + (36).to_bytes(4, "big")
        + b"3adb4aea-864b-46ec-a47f-24d35e67dc6a"
        + (2).to_bytes(8, "big")
        + (13).to_bytes(4, "big")
        + b"ledger.x:Dose"
        + (2).to_bytes(8, "big")
        + b"\x00\xff"
    )
    assert leaf_hash(7, "3adb4aea-864b-46ec-a47f-24d35e67dc6a", 2, "ledger.x:Dose", b"\x00\xff") == (
        hashlib.sha256(b"\x00" + encoded).digest()
    )


def test_leaf_hashes_in_one_loop_are_the_leaf_hashes() -> None:
    events = [
        (n + 1, f"3adb4aea-864b-46ec-a47f-24d35e67dc{n:02x}", n % 3, f"ledger.x:E{n}", bytes([n]) * n)
        for n in range(40)
    ]
    assert leaf_hashes(events) == [leaf_hash(*event) for event in events]


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=700), st.lists(st.integers(min_value=1, max_value=600), max_size=4))
def test_extending_by_folded_blocks_is_extending_leaf_by_leaf(start: int, chunks: list[int]) -> None:
    """The same right edge, root and closed tile nodes (in the same order) at every step, whatever the
    starting size and the cut of the leaves into calls (blocks of 256 folded, the rest leaf by leaf)."""
    leaves = [hashlib.sha256(b"%d" % n).digest() for n in range(start + sum(chunks))]
    one, folded = Frontier(), Frontier()
    one_closed: list[tuple[int, int, bytes]] = []
    folded_closed: list[tuple[int, int, bytes]] = []
    one.extend(leaves[:start], one_closed)
    folded.extend(leaves[:start], folded_closed)
    at = start
    for chunk in chunks:
        one.extend(leaves[at : at + chunk], one_closed)
        folded.extend_folding(leaves[at : at + chunk], folded_closed)
        at += chunk
        assert (folded.size, folded.hashes, folded.root()) == (one.size, one.hashes, one.root())
        assert folded_closed == one_closed
    assert folded.root() == tree_hash(leaves)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=300), st.data())
def test_inclusion_proofs_verify_with_the_independent_verifier(size: int, data: st.DataObject) -> None:
    leaves = _leaves(size)
    index = data.draw(st.integers(min_value=0, max_value=size - 1))
    path = inclusion_path(_subtree(leaves), index, size)
    root = tree_hash(leaves)
    assert inclusion_root(index, size, leaves[index], path) == root
    verify_inclusion(index, size, leaves[index], path, root)
    with pytest.raises(ProofError):
        verify_inclusion(index, size, hashlib.sha256(b"other").digest(), path, root)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=300), st.data())
def test_consistency_proofs_verify_with_the_independent_verifier(new: int, data: st.DataObject) -> None:
    leaves = _leaves(new)
    old = data.draw(st.integers(min_value=1, max_value=new))
    path = consistency_path(_subtree(leaves), old, new)
    old_root, new_root = tree_hash(leaves[:old]), tree_hash(leaves)
    assert consistency_roots(old, new, old_root, path) == (old_root, new_root)
    verify_consistency(old, new, old_root, new_root, path)
    if old < new:
        with pytest.raises(ProofError):
            verify_consistency(old, new, hashlib.sha256(b"a forked history").digest(), new_root, path)


def test_proofs_for_impossible_sizes_are_refused() -> None:
    leaves = _leaves(5)
    with pytest.raises(ProofError, match="not in a tree of 5"):
        inclusion_path(_subtree(leaves), 5, 5)
    with pytest.raises(ProofError, match="larger than the new size"):
        consistency_path(_subtree(leaves), 6, 5)
    with pytest.raises(ProofError, match="at least 1"):
        consistency_path(_subtree(leaves), 0, 5)


# ---- C2SP checkpoints and signed notes ------------------------------------------------------------


ORIGIN = "immunize.vn/ledger/sha256:" + "ab" * 32


def test_a_checkpoint_is_a_c2sp_signed_note() -> None:
    key = AuditKey.generate()
    root = hashlib.sha256(b"root").digest()
    checkpoint = sign_checkpoint(key, ORIGIN, 42, root)
    body, signatures = checkpoint.note.split("\n\n")
    assert body + "\n" == f"{ORIGIN}\n42\n{base64.b64encode(root).decode()}\n"
    name, blob = signatures.rstrip("\n").removeprefix("\u2014 ").split(" ")
    raw = base64.b64decode(blob)
    expected_hash = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + key.public.raw).digest()[:4]
    assert name == ORIGIN
    assert raw[:4] == expected_hash
    key.public.key.verify(raw[4:], (body + "\n").encode())  # the signature covers the body bytes
    vkey = verifier_key(ORIGIN, key.public)
    encoded_key = base64.b64encode(b"\x01" + key.public.raw).decode()
    assert vkey == f"{ORIGIN}+{expected_hash.hex()}+{encoded_key}"
    assert open_note(checkpoint.note, [NoteVerifier.parse(vkey)]).tree_size == 42


def test_unknown_extra_signatures_are_ignored_and_a_known_bad_one_is_not() -> None:
    key, other = AuditKey.generate(), AuditKey.generate()
    note = sign_checkpoint(key, ORIGIN, 3, bytes(32)).note
    foreign = sign_checkpoint(other, "witness.example/w1", 3, bytes(32)).note.split("\n\n")[1]
    cosigned = note + foreign
    assert open_note(cosigned, [NoteVerifier(ORIGIN, key.public)]).tree_size == 3
    with pytest.raises(NoteError, match="not signed by a trusted audit key"):
        open_note(note, [NoteVerifier(ORIGIN, other.public)])
    lines = note.split("\n")
    blob = bytearray(base64.b64decode(lines[-2].rsplit(" ", 1)[1]))
    blob[20] ^= 1
    lines[-2] = lines[-2].rsplit(" ", 1)[0] + " " + base64.b64encode(bytes(blob)).decode()
    with pytest.raises(NoteError, match="bad signature"):
        open_note("\n".join(lines), [NoteVerifier(ORIGIN, key.public)])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "truncated"),
        (f"{ORIGIN}\n42\n", "truncated"),
        (f"{ORIGIN}\nforty\n{base64.b64encode(bytes(32)).decode()}\n\n\u2014 x AAAAAAA=\n", "tree size"),
        (f"{ORIGIN}\n42\nnot base64!\n\n\u2014 x AAAAAAA=\n", "base64"),
        (f"{ORIGIN}\n42\n{base64.b64encode(bytes(31)).decode()}\n\n\u2014 x AAAAAAA=\n", "31 bytes"),
        (f"{ORIGIN}\n42\n{base64.b64encode(bytes(32)).decode()}\n\n", "no signature"),
        (f"{ORIGIN}\n42\n{base64.b64encode(bytes(32)).decode()}\n\n- x AAAAAAA=\n", "em dash"),
        (b"\xff\xfe", "UTF-8"),
        (b"x" * 70_000, "larger than"),
    ],
)
def test_a_malformed_checkpoint_gets_one_sentence(text: str | bytes, message: str) -> None:
    with pytest.raises(NoteError, match=message):
        parse_note(text)
