"""An independent RFC 9162 §2.1 implementation for the tests (it shares no code with ledger.merkle).

Written from the RFC's recursive definitions, as directly as possible, so that a mistake in the
production code's iterative, storage-backed version shows up as a disagreement:
- MTH({}) = SHA-256(); MTH({d0}) = SHA-256(0x00 || d0);
  MTH(D[n]) = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of two < n (§2.1.1);
- proofs are verified by recomputing the roots they imply (the §2.1.3.2 and §2.1.4.2 algorithms,
  in their recursive form), never by calling the production verifier.
Leaves here are already leaf hashes (the production code hashes canonical events; the tests
recompute those from the documented encoding separately).
"""

from __future__ import annotations

import hashlib


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(bytes([1]) + left + right).digest()


def tree_hash(leaf_hashes: list[bytes]) -> bytes:
    """MTH over leaf hashes (RFC 9162 §2.1.1)."""
    n = len(leaf_hashes)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaf_hashes[0]
    k = _k(n)
    return _node(tree_hash(leaf_hashes[:k]), tree_hash(leaf_hashes[k:]))


def inclusion_root(index: int, size: int, leaf: bytes, path: list[bytes]) -> bytes:
    """The root an inclusion path implies, by the recursive shape of PATH (§2.1.3.1)."""

    def walk(m: int, n: int, proof: list[bytes]) -> bytes:
        if n == 1:
            if proof:
                raise ValueError("proof too long")
            return leaf
        if not proof:
            raise ValueError("proof too short")
        k = _k(n)
        sibling, rest = proof[-1], proof[:-1]
        if m < k:
            return _node(walk(m, k, rest), sibling)
        return _node(sibling, walk(m - k, n - k, rest))

    if not 0 <= index < size:
        raise ValueError("index outside the tree")
    return walk(index, size, list(path))


def consistency_roots(old: int, new: int, old_root: bytes, path: list[bytes]) -> tuple[bytes, bytes]:
    """(old root, new root) implied by a consistency proof, by the recursive shape of SUBPROOF (§2.1.4.1)."""

    def walk(m: int, n: int, proof: list[bytes], complete: bool) -> tuple[bytes, bytes]:
        # Returns (hash of the old tree's part within D[0:n], hash of D[0:n]).
        if m == n:
            if complete:
                if proof:
                    raise ValueError("proof too long")
                return old_root, old_root
            if len(proof) != 1:
                raise ValueError("proof has the wrong length")
            return proof[0], proof[0]
        if not proof:
            raise ValueError("proof too short")
        k = _k(n)
        last, rest = proof[-1], proof[:-1]
        if m <= k:
            old_part, new_part = walk(m, k, rest, complete)
            return old_part, _node(new_part, last)
        old_part, new_part = walk(m - k, n - k, rest, False)
        return _node(last, old_part), _node(last, new_part)

    if not 0 < old <= new:
        raise ValueError("sizes out of order")
    if old == new:
        if path:
            raise ValueError("proof between equal sizes must be empty")
        return old_root, old_root
    return walk(old, new, list(path), True)
