"""An RFC 6962 Merkle tree over the audit chain's event hashes (pure; RFC 9162 §2.1).

The leaves are the event hashes (32 bytes each) in position order: leaf ``i`` (0-based) is the event at
position ``i + 1``. Hashes are domain-separated as in Certificate Transparency::

    leaf  = SHA-256(0x00 ‖ event hash)
    node  = SHA-256(0x01 ‖ left ‖ right)
    MTH({})      = SHA-256("")
    MTH(D[n])    = node(MTH(D[0:k]), MTH(D[k:n]))   k: the largest power of two below n

so an inclusion proof (the audit path) of one event against a root has about log2(n) hashes.
``Accumulator`` computes the root of every prefix while the chain is walked once, in O(log n) memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n ≥ 2)."""
    return 1 << ((n - 1).bit_length() - 1)


class Accumulator:
    """The Merkle root of the leaves added so far, kept as the roots of perfect subtrees (largest first)."""

    def __init__(self) -> None:
        self.size = 0
        self._peaks: list[tuple[int, bytes]] = []

    def add(self, data: bytes) -> None:
        size, value = 1, leaf_hash(data)
        while self._peaks and self._peaks[-1][0] == size:
            _, left = self._peaks.pop()
            size, value = size * 2, node_hash(left, value)
        self._peaks.append((size, value))
        self.size += 1

    def extend(self, leaves: Iterable[bytes]) -> Accumulator:
        for data in leaves:
            self.add(data)
        return self

    def root(self) -> bytes:
        if not self._peaks:
            return EMPTY_ROOT
        value = self._peaks[-1][1]
        for _, peak in reversed(self._peaks[:-1]):
            value = node_hash(peak, value)
        return value


def root(leaves: Sequence[bytes]) -> bytes:
    """MTH over ``leaves``."""
    return Accumulator().extend(leaves).root()


def inclusion_proof(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, leaves): the audit path of leaf ``index`` (0-based) in the tree over all ``leaves``."""
    if not 0 <= index < len(leaves):
        raise ValueError(f"leaf {index} is not in a tree of {len(leaves)}")
    low, high = 0, len(leaves)  # the subtree D[low:high] that holds the leaf
    siblings: list[bytes] = []
    while high - low > 1:
        k = _split(high - low)
        if index - low < k:
            siblings.append(root(leaves[low + k : high]))
            high = low + k
        else:
            siblings.append(root(leaves[low : low + k]))
            low += k
    return siblings[::-1]  # from the leaf up


def root_from_path(index: int, size: int, leaf: bytes, path: Sequence[bytes]) -> bytes | None:
    """The root that ``path`` leads to from leaf ``index`` (0-based) of a tree of ``size`` whose leaf
    data is ``leaf``; None when the path cannot belong to such a tree (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        return None
    fn, sn, value = index, size - 1, leaf_hash(leaf)
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            value = node_hash(sibling, value)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            value = node_hash(value, sibling)
        fn >>= 1
        sn >>= 1
    return value if sn == 0 else None


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], expected_root: bytes) -> bool:
    return root_from_path(index, size, leaf, path) == expected_root
