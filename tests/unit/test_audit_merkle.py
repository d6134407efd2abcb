"""The audit log's pure proofs (domain/audit): the RFC 6962 Merkle tree, inclusion proofs, signed
checkpoints and an inclusion proof checked offline."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.audit.chain import GENESIS_HASH, LINK_FIELDS, link_hash
from domain.audit.checkpoint import InclusionProof, ProofEvent, make_checkpoint, parse_checkpoint, proof_problems, signature_problem
from domain.audit.merkle import EMPTY_ROOT, Accumulator, inclusion_proof, leaf_hash, node_hash, root, root_from_path, verify_inclusion
from domain.identity import TrustedKey, generate_key
from domain.identity.algorithms import b64

T0 = datetime(2026, 3, 1, 1, 30, 0, 123456, tzinfo=UTC)


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 6962 §2.1, recursively."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + reference_root(leaves[:k]) + reference_root(leaves[k:])).digest()


def leaves(n: int) -> list[bytes]:
    return [hashlib.sha256(str(i).encode()).digest() for i in range(n)]


def test_known_small_trees() -> None:
    a, b, c = leaves(3)
    assert root([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()
    assert root([a]) == leaf_hash(a)
    assert root([a, b]) == node_hash(leaf_hash(a), leaf_hash(b))
    assert root([a, b, c]) == node_hash(node_hash(leaf_hash(a), leaf_hash(b)), leaf_hash(c))


@pytest.mark.parametrize("n", [*range(0, 18), 31, 32, 33, 100])
def test_the_accumulator_matches_the_rfc_definition_for_every_prefix(n: int) -> None:
    data = leaves(n)
    accumulator = Accumulator()
    assert accumulator.root() == EMPTY_ROOT
    for i, leaf in enumerate(data, start=1):
        accumulator.add(leaf)
        assert accumulator.size == i
        assert accumulator.root() == reference_root(data[:i])


@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33])
def test_every_leaf_has_an_inclusion_proof_of_log_size(n: int) -> None:
    data = leaves(n)
    expected = root(data)
    for index in range(n):
        path = inclusion_proof(data, index)
        assert len(path) <= max(1, (n - 1).bit_length())
        assert verify_inclusion(index, n, data[index], path, expected)
        # another leaf, another index, another size or a changed step do not verify
        assert not verify_inclusion(index, n, hashlib.sha256(b"forged").digest(), path, expected)
        if n > 1:
            assert not verify_inclusion((index + 1) % n, n, data[index], path, expected)
        # (the tree size is not bound by the path alone: a proof checks it against the signed checkpoint's)
        if path:
            changed = [bytes(32), *path[1:]]
            assert not verify_inclusion(index, n, data[index], changed, expected)
            assert not verify_inclusion(index, n, data[index], path[:-1], expected)
            assert not verify_inclusion(index, n, data[index], [*path, path[-1]], expected)


def test_out_of_range_leaves_are_refused() -> None:
    with pytest.raises(ValueError):
        inclusion_proof(leaves(3), 3)
    assert root_from_path(3, 3, leaves(1)[0], []) is None
    assert root_from_path(0, 0, leaves(1)[0], []) is None


@given(st.lists(st.binary(min_size=32, max_size=32), min_size=1, max_size=40), st.data())
def test_inclusion_proofs_hold_for_any_tree(data: list[bytes], draw: st.DataObject) -> None:
    index = draw.draw(st.integers(min_value=0, max_value=len(data) - 1))
    assert root(data) == reference_root(data)
    assert verify_inclusion(index, len(data), data[index], inclusion_proof(data, index), root(data))


# --------------------------------------------------------------------------- checkpoints


@pytest.fixture(params=["ed25519", "sm2"])
def key(request: pytest.FixtureRequest) -> tuple[bytes, TrustedKey]:
    private, public = generate_key(request.param)
    return private, TrustedKey(kid="k1", alg=request.param, public=b64(public))


def test_a_checkpoint_verifies_with_its_key_only(key: tuple[bytes, TrustedKey]) -> None:
    private, trusted = key
    checkpoint = make_checkpoint(5, "a" * 64, "b" * 64, T0, "k1", trusted.alg, private)
    assert checkpoint.time == "2026-03-01T01:30:00.123456Z" and checkpoint.recorded == T0
    assert checkpoint.hash_algorithm == "sha256" and checkpoint.signature_algorithm == trusted.alg
    assert signature_problem(checkpoint, {"k1": trusted}) is None
    assert parse_checkpoint(checkpoint.model_dump(mode="json")) == checkpoint
    # any field changed, an unknown key, another key with the same id
    for change in ({"position": 6}, {"head_hash": "c" * 64}, {"merkle_root": "c" * 64}, {"time": "2026-03-02T01:30:00.123456Z"}):
        assert "does not verify" in (signature_problem(checkpoint.model_copy(update=change), {"k1": trusted}) or "")
    assert "not a trusted audit public key" in (signature_problem(checkpoint, {}) or "")
    _, other = generate_key(trusted.alg)
    assert "does not verify" in (signature_problem(checkpoint, {"k1": trusted.model_copy(update={"public": b64(other)})}) or "")
    with pytest.raises(ValueError, match="not a checkpoint"):
        parse_checkpoint({**checkpoint.model_dump(mode="json"), "extra": 1})
    with pytest.raises(ValueError, match="head_hash"):
        parse_checkpoint({**checkpoint.model_dump(mode="json"), "head_hash": "xyz"})


def chain(n: int) -> list[ProofEvent]:
    rows, prev = [], GENESIS_HASH
    for position in range(1, n + 1):
        fields = {
            "position": position,
            "event_id": f"e{position}",
            "stream_id": "s1",
            "version": position,
            "event_type": "Noted",
            "actor": "alice",
            "policy_version": None,
            "recorded_at": "2026-03-01T01:30:00.000000Z",
            "payload": '{"note":"整改 ✓"}',
        }
        digest = link_hash(prev, [fields[name] for name in LINK_FIELDS])
        rows.append(ProofEvent(**fields, prev_hash=prev, hash=digest))
        prev = digest
    return rows


def test_an_inclusion_proof_checks_offline_and_names_what_was_changed() -> None:
    private, public = generate_key("ed25519")
    keys = {"k1": TrustedKey(kid="k1", alg="ed25519", public=b64(public))}
    rows = chain(9)
    data = [bytes.fromhex(row.hash) for row in rows]
    checkpoint = make_checkpoint(9, rows[-1].hash, root(data).hex(), T0, "k1", "ed25519", private)
    proof = InclusionProof(
        event=rows[3], leaf_index=3, tree_size=9, audit_path=[p.hex() for p in inclusion_proof(data, 3)], checkpoint=checkpoint
    )
    assert proof_problems(proof, keys) == []
    edited = proof.model_copy(update={"event": rows[3].model_copy(update={"payload": '{"note":"forged"}'})})
    assert any("do not hash" in p for p in proof_problems(edited, keys))
    other_row = proof.model_copy(update={"event": rows[4]})
    assert proof_problems(other_row, keys)
    assert any("checkpoint:" in p for p in proof_problems(proof, {}))
    bad_path = proof.model_copy(update={"audit_path": ["00" * 32, *proof.audit_path[1:]]})
    assert any("Merkle root" in p for p in proof_problems(bad_path, keys))
