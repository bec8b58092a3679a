import hashlib

import pytest

from socle.core.merkle import inclusion_path, inclusion_verify, leaf_hash, merkle_root, node_hash


def _rfc6962_root(leaves: list[bytes]) -> bytes:
    """MTH as RFC 6962 §2.1 defines it: split at the largest power of two below n."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaf_hash(leaves[0])
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(_rfc6962_root(leaves[:k]), _rfc6962_root(leaves[k:]))


LEAVES = [hashlib.sha256(str(i).encode()).digest() for i in range(40)]


@pytest.mark.parametrize("size", range(41))
def test_the_streamed_root_is_the_rfc_6962_tree_hash(size):
    assert merkle_root(iter(LEAVES[:size])) == _rfc6962_root(LEAVES[:size])


def test_the_root_of_the_rfc_6962_empty_tree():
    assert merkle_root([]).hex() == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


@pytest.mark.parametrize("size", [1, 2, 3, 5, 7, 8, 13, 32, 33])
def test_every_leaf_has_an_audit_path_to_the_root(size):
    leaves = LEAVES[:size]
    root = merkle_root(leaves)
    for index in range(size):
        path = inclusion_path(leaves, index)
        assert inclusion_verify(data=leaves[index], index=index, size=size, path=path, root=root)


def test_an_audit_path_proves_nothing_for_another_leaf_position_or_root():
    leaves = LEAVES[:13]
    root = merkle_root(leaves)
    path = inclusion_path(leaves, 6)
    assert not inclusion_verify(data=leaves[7], index=6, size=13, path=path, root=root)
    assert not inclusion_verify(data=leaves[6], index=7, size=13, path=path, root=root)
    assert not inclusion_verify(data=leaves[6], index=6, size=8, path=path, root=root)
    assert not inclusion_verify(data=leaves[6], index=6, size=13, path=path[:-1], root=root)
    assert not inclusion_verify(data=leaves[6], index=6, size=13, path=path,
                                root=merkle_root(leaves[:12]))
