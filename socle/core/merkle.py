"""Merkle trees as in RFC 6962 / RFC 9162 (Certificate Transparency).

leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right). Built level by
level, an odd last node is promoted unchanged: this gives exactly the RFC's tree
(split at the largest power of two below n), so its inclusion-proof algorithm applies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def merkle_root(leaves: Iterable[bytes]) -> bytes:
    """Return the root over the leaf data, streaming: memory grows with log(n) only."""
    # Perfect subtrees pending on the right edge, as (height, hash), heights decreasing.
    stack: list[tuple[int, bytes]] = []
    for data in leaves:
        height, digest = 0, leaf_hash(data)
        while stack and stack[-1][0] == height:
            _, left = stack.pop()
            height, digest = height + 1, node_hash(left, digest)
        stack.append((height, digest))
    if not stack:
        return hashlib.sha256(b"").digest()
    _, root = stack.pop()
    while stack:
        _, left = stack.pop()
        root = node_hash(left, root)
    return root


def inclusion_path(leaves: list[bytes], index: int) -> list[bytes]:
    """Return the audit path of leaf ``index``, bottom up (RFC 9162 §2.1.3.1)."""
    if not 0 <= index < len(leaves):
        raise IndexError(index)
    level = [leaf_hash(data) for data in leaves]
    path: list[bytes] = []
    while len(level) > 1:
        sibling = index ^ 1
        if sibling < len(level):
            path.append(level[sibling])
        level = [node_hash(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                 for i in range(0, len(level), 2)]
        index //= 2
    return path


def inclusion_verify(*, data: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """Check an audit path against a root (RFC 9162 §2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn = index, size - 1
    digest = leaf_hash(data)
    for sibling in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            digest = node_hash(sibling, digest)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            digest = node_hash(digest, sibling)
        fn >>= 1
        sn >>= 1
    return sn == 0 and digest == root
