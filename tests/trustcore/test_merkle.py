"""The transparency log's Merkle tree (trustcore.merkle): RFC 6962 / RFC 9162 known answers and properties.

Known-answer vectors, copied from public implementations' test data:

* [GO-CONST] transparency-dev/merkle, testonly/constants.go: the standard 8-leaf test
  tree (LeafInputs), its perfect-subtree hashes (NodeHashes) and the root hashes of
  sizes 0..8 (RootHashes).
  https://github.com/transparency-dev/merkle/blob/main/testonly/constants.go
* [GO-VERIFY] transparency-dev/merkle, proof/verify_test.go: inclusionProofs and
  consistencyProofs over that tree (leaf numbers there are 1-based), the corruption
  probes, and the TestVerifyConsistency edge-case table.
  https://github.com/transparency-dev/merkle/blob/main/proof/verify_test.go
* [GO-PROOF] transparency-dev/merkle, proof/proof_test.go: which stored nodes
  (level, index) make up each inclusion / consistency proof, including the
  "rehash" cases where one proof node is the fold of several stored nodes.
  https://github.com/transparency-dev/merkle/blob/main/proof/proof_test.go
* [GO-HASHER] transparency-dev/merkle, rfc6962/rfc6962_test.go: leaf and node hashes.
  https://github.com/transparency-dev/merkle/blob/main/rfc6962/rfc6962_test.go
* [CT-PY] google/certificate-transparency, python/ct/crypto/merkle_test.py: leaf and
  node hashes, the same 8-leaf roots and consistency proofs ("lifted from the C++
  branch"), and a real audit path from a production CT log (leaf 848049 of
  3630887).
  https://github.com/google/certificate-transparency/blob/master/python/ct/crypto/merkle_test.py

The properties are checked against a from-scratch transcription of the RFC 9162
2.1.1 / 2.1.3.1 / 2.1.4.1 recursive definitions (``mth``, ``path``, ``proof`` below).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustcore.merkle import (
    EMPTY_ROOT,
    MemoryTree,
    appended_nodes,
    consistency_proof,
    inclusion_proof,
    is_valid_subtree_range,
    leaf_hash,
    node_hash,
    perfect_nodes,
    root_from_leaf_hashes,
    subtree_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)

h = bytes.fromhex

# --- [GO-CONST] the standard test tree ------------------------------------------------------------

LEAF_INPUTS = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]

NODE_HASHES = [
    [
        h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
        h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
        h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
        h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
        h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
        h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
        h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
    ],
    [
        h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
        h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
        h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
        h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
    ],
    [
        h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
    ],
    [
        h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
    ],
]

ROOTS = [  # indexed by tree size
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# --- [GO-VERIFY] proofs over that tree: (leaf index 0-based, tree size, proof) -------------------------

INCLUSION_PROOFS = [
    (0, 1, []),
    (0, 8, [NODE_HASHES[0][1], NODE_HASHES[1][1], NODE_HASHES[2][1]]),
    (5, 8, [NODE_HASHES[0][4], NODE_HASHES[1][3], NODE_HASHES[2][0]]),
    (2, 3, [NODE_HASHES[1][0]]),
    (1, 5, [NODE_HASHES[0][0], NODE_HASHES[1][1], NODE_HASHES[0][4]]),
]
# The same vectors as literal hex, exactly as published (checks the table above).
INCLUSION_PROOFS_HEX = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    (1, 5): [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}

CONSISTENCY_PROOFS = [  # (old size, new size, proof); also in [CT-PY] MerkleVerifierTest.sha256_proofs
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")  # [GO-VERIFY] sha256SomeHash

# --- [CT-PY] a real audit path from a production CT log --------------------------------------------------

CT_LEAF_HASH = h("7a395c866d5ecdb0cccb623e011dbc392cd348d1d1d72776174e127a24b09c78")
CT_LEAF_INDEX = 848049
CT_TREE_SIZE = 3630887
CT_ROOT = h("78316a05c9bcf14a3a4548f5b854a9adfcd46a4c034401b3ce7eb7ac2f1d0ecb")
CT_AUDIT_PATH = [
    h(x)
    for x in [
        "1a208aeebcd1b39fe2de247ee8db9454e1e93a312d206b87f6ca9cc6ec6f1ddd",
        "0a1b78b383f580856f433c01a5741e160d451c185910027f6cc9f828687a40c4",
        "3d1745789bc63f2da15850de1c12a5bf46ed81e1cc90f086148b1662e79aab3d",
        "9095b61e14d8990acf390905621e62b1714fb8e399fbb71de5510e0aef45affe",
        "0a332b91b8fab564e6afd1dd452449e04619b18accc0ff9aa8393cd4928451f2",
        "2336f0181d264aed6d8f3a6507ca14a8d3b3c3a23791ac263e845d208c1ee330",
        "b4ce56e300590500360c146c6452edbede25d4ed83919278749ee5dbe178e048",
        "933f6ddc848ea562e4f9c5cfb5f176941301dad0c6fdb9d1fbbe34fac1be6966",
        "b95a6222958a86f74c030be27c44f57dbe313e5e7c7f4ffb98bcbd3a03bb52f2",
        "daeeb3ce5923defd0faeb8e0c210b753b85b809445d7d3d3cd537a9aabaa9c45",
        "7fadd0a13e9138a2aa6c3fdec4e2275af233b94812784f66bcca9aa8e989f2bc",
        "1864e6ba3e32878610546539734fb5eeae2529991f130c575c73a7e25a2a7c56",
        "12842d1202b1dc6828a17ab253c02e7ce9409b5192430feba44189f39cc02d66",
        "29af64b16fa3053c13d02ac63aa75b23aa468506e44c3a2315edc85d2dc22b11",
        "b527b99934a0bd9edd154e449b0502e2c499bba783f3bc3dfe23364b6b532009",
        "4584db8ae8e351ace08e01f306378a92bfd43611714814f3d834a2842d69faa8",
        "86a9a41573b0d6e4292f01e93243d6cc65b30f06606fc6fa57390e7e90ed580f",
        "a88b98fbe84d4c6aae8db9d1605dfac059d9f03fe0fcb0d5dff1295dacba09e6",
        "06326dc617a6d1f7021dc536026dbfd5fffc6f7c5531d48ef6ccd1ed1569f2a1",
        "f41fe8fdc3a2e4e8345e30216e7ebecffee26ff266eeced208a6c2a3cf08f960",
        "40cf5bde8abb76983f3e98ba97aa36240402975674e120f234b3448911090f8d",
        "b3222dc8658538079883d980d7fdc2bef9285344ea34338968f736b04aeb387a",
    ]
]


# --- a from-scratch reference: the RFC 9162 recursive definitions, verbatim ---------------------------


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 9162 2.1.1 over leaf *hashes*."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = _k(len(leaves))
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def path(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 2.1.3.1."""
    if len(leaves) == 1:
        return []
    k = _k(len(leaves))
    if m < k:
        return [*path(m, leaves[:k]), mth(leaves[k:])]
    return [*path(m - k, leaves[k:]), mth(leaves[:k])]


def proof(m: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 2.1.4.1."""

    def subproof(m: int, leaves: Sequence[bytes], b: bool) -> list[bytes]:
        if m == len(leaves):
            return [] if b else [mth(leaves)]
        k = _k(len(leaves))
        if m <= k:
            return [*subproof(m, leaves[:k], b), mth(leaves[k:])]
        return [*subproof(m - k, leaves[k:], False), mth(leaves[:k])]

    return subproof(m, leaves, True)


# --- readers ------------------------------------------------------------------------------------------


class CountingReader:
    """Wraps a reader and records every ``get`` call."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.calls: list[tuple[int, int]] = []

    @property
    def size(self) -> int:
        return self.inner.size

    def get(self, level: int, index: int) -> bytes:
        self.calls.append((level, index))
        return self.inner.get(level, index)


class SyntheticReader:
    """Answers any complete (level, index) of a huge tree with a deterministic hash, without building it."""

    def __init__(self, size: int) -> None:
        self.size = size

    def get(self, level: int, index: int) -> bytes:
        assert level >= 0 and index >= 0 and (index + 1) << level <= self.size, (level, index)
        return hashlib.sha256(b"node %d %d" % (level, index)).digest()


MAX_SIZE = 300
BIG_LEAVES = [leaf_hash(b"record %d" % i) for i in range(MAX_SIZE)]
BIG_TREE = MemoryTree(BIG_LEAVES)  # proofs for every size <= 300 come from this one store


def standard_tree() -> MemoryTree:
    tree = MemoryTree()
    tree.extend(LEAF_INPUTS)
    return tree


def flip(value: bytes, position: int, mask: int) -> bytes:
    changed = bytearray(value)
    changed[position % len(changed)] ^= mask
    return bytes(changed)


# --- known answers -----------------------------------------------------------------------------------


def test_hash_known_answers() -> None:
    # [GO-HASHER]
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    assert node_hash(b"N123", b"N456").hex() == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    # [CT-PY] TreeHasherTest
    assert (
        leaf_hash(h("101112131415161718191a1b1c1d1e1f")).hex()
        == "3bfb960453ebaebf33727da7a1f4db38acc051d381b6da20d6d4e88f0eabfd7a"
    )
    assert (
        node_hash(
            h("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"),
            h("202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"),
        ).hex()
        == "1a378704c17da31e2d05b6d121c2bb2c7d76f6ee6fa8f983e596c2d034963c57"
    )
    assert leaf_hash(b"x") != node_hash(b"", b"x")  # domain separation


@pytest.mark.parametrize("size", range(9))
def test_roots_of_the_standard_tree(size: int) -> None:
    hashes = [leaf_hash(data) for data in LEAF_INPUTS[:size]]
    assert root_from_leaf_hashes(hashes) == ROOTS[size]
    assert standard_tree().root(size) == ROOTS[size]
    assert mth(hashes) == ROOTS[size]  # the reference agrees too


@pytest.mark.parametrize(
    ("level", "index", "expected"),
    [(level, index, value) for level, hashes in enumerate(NODE_HASHES) for index, value in enumerate(hashes)],
    ids=[f"{level}/{index}" for level, hashes in enumerate(NODE_HASHES) for index in range(len(hashes))],
)
def test_perfect_nodes_of_the_standard_tree(level: int, index: int, expected: bytes) -> None:
    assert standard_tree().get(level, index) == expected


@pytest.mark.parametrize(("level", "index"), [(4, 0), (0, 8)])
def test_nodes_beyond_the_standard_tree_are_missing(level: int, index: int) -> None:
    with pytest.raises(KeyError):
        standard_tree().get(level, index)


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION_PROOFS)
def test_known_inclusion_proofs(index: int, size: int, expected: list[bytes]) -> None:
    if (index, size) in INCLUSION_PROOFS_HEX:
        assert [p.hex() for p in expected] == INCLUSION_PROOFS_HEX[(index, size)]
    tree = standard_tree()
    assert tree.inclusion_proof(index, size) == expected
    assert verify_inclusion(leaf_hash(LEAF_INPUTS[index]), index, size, expected, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "expected"), CONSISTENCY_PROOFS)
def test_known_consistency_proofs(old: int, new: int, expected: list[bytes]) -> None:
    assert standard_tree().consistency_proof(old, new) == expected
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], expected)


def test_real_ct_log_audit_path() -> None:
    """[CT-PY] an audit path served by a production CT log for a tree of 3,630,887 certificates."""
    assert verify_inclusion(CT_LEAF_HASH, CT_LEAF_INDEX, CT_TREE_SIZE, CT_AUDIT_PATH, CT_ROOT)
    assert not verify_inclusion(CT_LEAF_HASH, CT_LEAF_INDEX, CT_TREE_SIZE, CT_AUDIT_PATH, bytes(32))
    assert not verify_inclusion(CT_LEAF_HASH, CT_LEAF_INDEX, CT_TREE_SIZE, CT_AUDIT_PATH[:-1], CT_ROOT)
    too_far = CT_LEAF_INDEX + 2 ** (len(CT_AUDIT_PATH) + 1)
    assert not verify_inclusion(CT_LEAF_HASH, too_far, CT_TREE_SIZE, CT_AUDIT_PATH, CT_ROOT)


def _inclusion_probes(index: int, size: int, proof_: list[bytes], root: bytes, leaf: bytes):
    """[GO-VERIFY] corruptInclusionProof."""
    yield index - 1, size, proof_, root, leaf
    yield index + 1, size, proof_, root, leaf
    yield index ^ 2, size, proof_, root, leaf
    yield index, size * 2, proof_, root, leaf
    yield index, size // 2, proof_, root, leaf
    yield index, size, proof_, root, b"WrongLeaf"
    yield index, size, proof_, EMPTY_ROOT, leaf
    yield index, size, proof_, SOME_HASH, leaf
    yield index, size, [*proof_, b""], root, leaf
    yield index, size, [*proof_, root], root, leaf
    yield index, size, [b"", *proof_], root, leaf
    yield index, size, [root, *proof_], root, leaf
    for i in range(len(proof_)):
        wrong = list(proof_)
        wrong[i] = flip(wrong[i], 0, 8)
        yield index, size, wrong, root, leaf
    if proof_:
        yield index, size, proof_[:-1], root, leaf
    if len(proof_) > 1:
        yield index, size, [proof_[0], SOME_HASH, *proof_[1:]], root, leaf


INCLUSION_PROBES = [
    pytest.param(*probe, id=f"leaf-{index}-of-{size}-probe-{n}")
    for index, size, expected in INCLUSION_PROOFS
    for n, probe in enumerate(_inclusion_probes(index, size, expected, ROOTS[size], leaf_hash(LEAF_INPUTS[index])))
]


@pytest.mark.parametrize(("index", "size", "proof_", "root", "leaf"), INCLUSION_PROBES)
def test_corrupted_known_inclusion_proofs_fail(index: int, size: int, proof_: list[bytes], root: bytes, leaf) -> None:
    assert not verify_inclusion(leaf, index, size, proof_, root)


def _consistency_probes(old: int, new: int, root1: bytes, root2: bytes, proof_: list[bytes]):
    """[GO-VERIFY] corruptConsistencyProof."""
    yield old - 1, new, root1, root2, proof_
    yield old + 1, new, root1, root2, proof_
    yield old ^ 2, new, root1, root2, proof_
    yield old, new * 2, root1, root2, proof_
    yield old, new // 2, root1, root2, proof_
    yield old, new, b"WrongRoot", root2, proof_
    yield old, new, root1, b"WrongRoot", proof_
    yield old, new, root2, root1, proof_
    yield old, new, root1, root2, []
    yield old, new, root1, root2, [*proof_, b""]
    yield old, new, root1, root2, [*proof_, root1]
    yield old, new, root1, root2, [*proof_, root2]
    yield old, new, root1, root2, [b"", *proof_]
    yield old, new, root1, root2, [root1, *proof_]
    yield old, new, root1, root2, [root2, *proof_]
    yield old, new, root1, root2, [proof_[0], *proof_]
    yield old, new, root1, root2, proof_[:-1]
    for i in range(len(proof_)):
        wrong = list(proof_)
        wrong[i] = flip(wrong[i], 0, 16)
        yield old, new, root1, root2, wrong


CONSISTENCY_PROBES = [
    pytest.param(*probe, id=f"{old}-to-{new}-probe-{n}")
    for old, new, expected in CONSISTENCY_PROOFS
    if expected
    for n, probe in enumerate(_consistency_probes(old, new, ROOTS[old], ROOTS[new], expected))
]


@pytest.mark.parametrize(("old", "new", "root1", "root2", "proof_"), CONSISTENCY_PROBES)
def test_corrupted_known_consistency_proofs_fail(old: int, new: int, root1, root2, proof_: list[bytes]) -> None:
    assert not verify_consistency(old, new, root1, root2, proof_)


ROOT_A, ROOT_B = h("11" * 32), h("22" * 32)


@pytest.mark.parametrize(
    ("old", "new", "root1", "root2", "proof_", "expected"),
    [
        # [GO-VERIFY] TestVerifyConsistency, with 32-byte stand-ins for its "don't care" roots.
        (0, 0, ROOT_A, ROOT_B, [], False),
        (1, 1, ROOT_A, ROOT_B, [], False),
        (1, 1, ROOT_B, ROOT_B, [], True),
        (1, 0, ROOT_A, ROOT_B, [], False),  # time travel to the past
        (2, 1, ROOT_A, ROOT_B, [], False),
        (1, 2, ROOT_A, ROOT_B, [], False),  # empty proof
        (0, 0, EMPTY_ROOT, ROOT_B, [], False),
        (1, 1, EMPTY_ROOT, ROOT_B, [], False),
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),  # roots match, proof not empty
        (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        # Our reading of the cases RFC 9162 leaves out: the empty tree is a prefix of every tree.
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], True),
        (0, 1, EMPTY_ROOT, ROOT_B, [], True),
        (0, 5, EMPTY_ROOT, ROOTS[5], [], True),
        (0, 1, ROOT_A, ROOT_B, [], False),  # a size-0 tree has the empty root and no other
        (4, 4, ROOTS[4], ROOTS[4], [], True),
    ],
)
def test_consistency_edge_cases(old, new, root1, root2, proof_, expected) -> None:
    assert verify_consistency(old, new, root1, root2, proof_) is expected


def test_inclusion_edge_cases() -> None:
    data_hash = leaf_hash(b"data")
    # [GO-VERIFY] TestVerifyInclusionSingleEntry: a 1-leaf tree's root is its leaf hash.
    assert verify_inclusion(data_hash, 0, 1, [], data_hash)
    assert not verify_inclusion(b"", 0, 1, [], data_hash)
    assert not verify_inclusion(data_hash, 0, 1, [], b"")
    assert not verify_inclusion(data_hash, 1, 1, [], data_hash)
    assert not verify_inclusion(data_hash, 0, 0, [], EMPTY_ROOT)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_inclusion_probes_with_no_proof_fail(index: int, size: int) -> None:
    """[GO-VERIFY] TestVerifyInclusion probes: index >= size, size 0, and empty proofs that prove nothing."""
    assert not verify_inclusion(SOME_HASH, index, size, [], b"")
    assert not verify_inclusion(b"", index, size, [], EMPTY_ROOT)
    assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


# --- the storage layer: which perfect nodes each proof reads ([GO-PROOF]) ------------------------------

INCLUSION_NODES = {  # (size, index): stored nodes (level, index) read
    (1, 0): [],
    (2, 0): [(0, 1)],
    (2, 1): [(0, 0)],
    (3, 1): [(0, 0), (0, 2)],
    (7, 0): [(0, 1), (1, 1), (0, 6), (1, 2)],
    (7, 1): [(0, 0), (1, 1), (0, 6), (1, 2)],
    (7, 2): [(0, 3), (1, 0), (0, 6), (1, 2)],
    (7, 3): [(0, 2), (1, 0), (0, 6), (1, 2)],
    (7, 4): [(0, 5), (0, 6), (2, 0)],
    (7, 5): [(0, 4), (0, 6), (2, 0)],
    (7, 6): [(1, 2), (2, 0)],
    (4, 2): [(0, 3), (1, 0)],
    (5, 3): [(0, 2), (1, 0), (0, 4)],
    (6, 3): [(0, 2), (1, 0), (1, 2)],
    (6, 4): [(0, 5), (2, 0)],
    (15, 10): [(0, 11), (1, 4), (0, 14), (1, 6), (3, 0)],
    (31, 24): [(0, 25), (1, 13), (0, 30), (1, 14), (3, 2), (4, 0)],
    (95, 81): [(0, 80), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)],
}

CONSISTENCY_NODES = {  # (old size, new size): stored nodes (level, index) read
    (1, 2): [(0, 1)],
    (1, 4): [(0, 1), (1, 1)],
    (1, 6): [(0, 1), (1, 1), (1, 2)],
    (2, 3): [(0, 2)],
    (2, 8): [(1, 1), (2, 1)],
    (3, 7): [(0, 2), (0, 3), (1, 0), (0, 6), (1, 2)],
    (4, 7): [(0, 6), (1, 2)],
    (5, 7): [(0, 4), (0, 5), (0, 6), (2, 0)],
    (6, 7): [(1, 2), (0, 6), (2, 0)],
    (7, 8): [(0, 6), (0, 7), (1, 2), (2, 0)],
    (1, 1): [],
    (5, 5): [],
    (8, 8): [],
    (2, 4): [(1, 1)],
    (3, 5): [(0, 2), (0, 3), (1, 0), (0, 4)],
    (3, 6): [(0, 2), (0, 3), (1, 0), (1, 2)],
    (4, 6): [(1, 2)],
    (1, 7): [(0, 1), (1, 1), (0, 6), (1, 2)],
    (10, 15): [(1, 4), (1, 5), (0, 14), (1, 6), (3, 0)],
    (24, 31): [(3, 2), (0, 30), (1, 14), (2, 6), (4, 0)],
    (81, 95): [(0, 80), (0, 81), (1, 41), (2, 21), (0, 94), (1, 46), (2, 22), (4, 4), (6, 0)],
}


@pytest.mark.parametrize(("size", "index"), list(INCLUSION_NODES))
def test_inclusion_proof_reads_the_published_nodes(size: int, index: int) -> None:
    reader = CountingReader(SyntheticReader(128))
    inclusion_proof(reader, index, size)
    assert sorted(reader.calls) == sorted(INCLUSION_NODES[(size, index)])


@pytest.mark.parametrize(("old", "new"), list(CONSISTENCY_NODES))
def test_consistency_proof_reads_the_published_nodes(old: int, new: int) -> None:
    reader = CountingReader(SyntheticReader(128))
    consistency_proof(reader, old, new)
    assert sorted(reader.calls) == sorted(CONSISTENCY_NODES[(old, new)])


def test_subtree_ranges() -> None:
    assert perfect_nodes(0, 8) == [(3, 0)]
    assert perfect_nodes(0, 7) == [(2, 0), (1, 2), (0, 6)]
    assert perfect_nodes(16, 31) == [(3, 2), (2, 6), (1, 14), (0, 30)]
    assert perfect_nodes(5, 6) == [(0, 5)]
    with pytest.raises(ValueError, match="subtree range"):
        subtree_hash(BIG_TREE, 1, 3)
    with pytest.raises(ValueError, match="beyond"):
        subtree_hash(BIG_TREE, 256, MAX_SIZE + 1)
    assert subtree_hash(BIG_TREE, 0, 0) == EMPTY_ROOT
    assert tree_root(MemoryTree(), 0) == EMPTY_ROOT


@pytest.mark.parametrize(("start", "end"), [(1, 3), (2, 5), (4, 9), (3, 3), (5, 4), (-1, 1)])
def test_invalid_subtree_ranges_are_refused(start: int, end: int) -> None:
    assert not is_valid_subtree_range(start, end)
    with pytest.raises(ValueError, match="subtree range"):
        perfect_nodes(start, end)


@pytest.mark.parametrize(("index", "size"), [(8, 8), (9, 8), (-1, 8), (0, 9), (0, 0)])
def test_inclusion_proof_arguments_are_checked(index: int, size: int) -> None:
    with pytest.raises(ValueError):
        inclusion_proof(standard_tree(), index, size)


@pytest.mark.parametrize(("old", "new"), [(5, 4), (-1, 4), (1, 9)])
def test_consistency_proof_arguments_are_checked(old: int, new: int) -> None:
    with pytest.raises(ValueError):
        consistency_proof(standard_tree(), old, new)


def test_proof_arguments_are_checked() -> None:
    tree = standard_tree()
    assert consistency_proof(tree, 0, 8) == []
    assert consistency_proof(tree, 8, 8) == []
    with pytest.raises(ValueError, match="32 bytes"):
        root_from_leaf_hashes([b"raw record bytes, not a leaf hash"])
    with pytest.raises(ValueError, match="32 bytes"):
        appended_nodes(0, [b"short"], MemoryTree())


class _LyingReader:
    size = 4

    def get(self, level: int, index: int) -> bytes:
        return b"not a hash"


def test_a_malformed_stored_node_is_an_error() -> None:
    with pytest.raises(ValueError, match="malformed hash"):
        inclusion_proof(_LyingReader(), 0, 4)


# --- properties -------------------------------------------------------------------------------------


@st.composite
def size_and_index(draw, max_size: int = MAX_SIZE) -> tuple[int, int]:
    size = draw(st.integers(1, max_size))
    return size, draw(st.integers(0, size - 1))


@st.composite
def two_sizes(draw, max_size: int = MAX_SIZE, min_old: int = 0, strict: bool = False) -> tuple[int, int]:
    new = draw(st.integers(max(1, min_old + strict), max_size))
    old = draw(st.integers(min_old, new - 1 if strict else new))
    return old, new


@settings(max_examples=300, deadline=None)
@given(size_and_index())
def test_every_inclusion_proof_verifies(case: tuple[int, int]) -> None:
    size, index = case
    root = root_from_leaf_hashes(BIG_LEAVES[:size])
    proof_ = inclusion_proof(BIG_TREE, index, size)
    assert verify_inclusion(BIG_LEAVES[index], index, size, proof_, root)
    assert len(proof_) <= math.ceil(math.log2(size)) if size > 1 else not proof_


@settings(max_examples=300, deadline=None)
@given(two_sizes())
def test_every_consistency_proof_verifies(case: tuple[int, int]) -> None:
    old, new = case
    old_root = root_from_leaf_hashes(BIG_LEAVES[:old])
    new_root = root_from_leaf_hashes(BIG_LEAVES[:new])
    proof_ = consistency_proof(BIG_TREE, old, new)
    assert verify_consistency(old, new, old_root, new_root, proof_)


@settings(max_examples=200, deadline=None)
@given(size_and_index(), st.data())
def test_reader_proofs_equal_proofs_from_scratch(case: tuple[int, int], data: st.DataObject) -> None:
    size, index = case
    leaves = BIG_LEAVES[:size]
    assert inclusion_proof(BIG_TREE, index, size) == path(index, leaves)
    assert tree_root(BIG_TREE, size) == mth(leaves) == root_from_leaf_hashes(leaves)
    old = data.draw(st.integers(1, size), label="old size")
    assert consistency_proof(BIG_TREE, old, size) == proof(old, leaves)


@settings(max_examples=300, deadline=None)
@given(
    size_and_index(),
    st.sampled_from(["leaf", "root", "proof"]),
    st.integers(0, 10_000),
    st.integers(1, 255),
)
def test_any_flipped_byte_breaks_inclusion(case: tuple[int, int], target: str, position: int, mask: int) -> None:
    size, index = case
    leaf, root = BIG_LEAVES[index], root_from_leaf_hashes(BIG_LEAVES[:size])
    proof_ = inclusion_proof(BIG_TREE, index, size)
    if target == "leaf":
        leaf = flip(leaf, position, mask)
    elif target == "root":
        root = flip(root, position, mask)
    elif proof_:
        proof_[position % len(proof_)] = flip(proof_[position % len(proof_)], position // 7, mask)
    else:  # a 1-leaf tree has no proof to corrupt: corrupt the leaf instead
        leaf = flip(leaf, position, mask)
    assert not verify_inclusion(leaf, index, size, proof_, root)


@settings(max_examples=300, deadline=None)
@given(
    two_sizes(min_old=1, strict=True),
    st.sampled_from(["old root", "new root", "proof"]),
    st.integers(0, 10_000),
    st.integers(1, 255),
)
def test_any_flipped_byte_breaks_consistency(case: tuple[int, int], target: str, position: int, mask: int) -> None:
    old, new = case
    old_root = root_from_leaf_hashes(BIG_LEAVES[:old])
    new_root = root_from_leaf_hashes(BIG_LEAVES[:new])
    proof_ = consistency_proof(BIG_TREE, old, new)
    if target == "old root":
        old_root = flip(old_root, position, mask)
    elif target == "new root":
        new_root = flip(new_root, position, mask)
    else:
        proof_[position % len(proof_)] = flip(proof_[position % len(proof_)], position // 7, mask)
    assert not verify_consistency(old, new, old_root, new_root, proof_)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=40), min_size=1, max_size=40), st.data())
def test_arbitrary_leaf_data(leaves: list[bytes], data: st.DataObject) -> None:
    tree = MemoryTree()
    tree.extend(leaves)
    hashes = [leaf_hash(leaf) for leaf in leaves]
    assert tree.root() == mth(hashes)
    index = data.draw(st.integers(0, len(leaves) - 1), label="index")
    assert verify_inclusion(leaf_hash(leaves[index]), index, len(leaves), tree.inclusion_proof(index), tree.root())


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_subtree_hash_of_every_valid_range(data: st.DataObject) -> None:
    end = data.draw(st.integers(1, MAX_SIZE), label="end")
    width = data.draw(st.integers(1, end), label="width")
    start = end - width
    if is_valid_subtree_range(start, end):
        assert subtree_hash(BIG_TREE, start, end) == mth(BIG_LEAVES[start:end])
    else:
        with pytest.raises(ValueError):
            subtree_hash(BIG_TREE, start, end)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=12))
def test_appending_in_batches(batch_sizes: list[int]) -> None:
    """appended_nodes: the store grows by exactly the newly completed perfect nodes; old nodes are read sparingly."""
    tree = MemoryTree()
    size = 0
    for batch in batch_sizes:
        if size + batch > MAX_SIZE:
            break
        reader = CountingReader(tree)
        new = appended_nodes(size, BIG_LEAVES[size : size + batch], reader)
        assert len(new) == 2 * batch - bin(size + batch).count("1") + bin(size).count("1")
        assert len(reader.calls) == len(set(reader.calls)) <= bin(size).count("1")
        assert all((level, index) not in {(c[0], c[1]) for c in new} for level, index in reader.calls)
        tree.extend_leaf_hashes(BIG_LEAVES[size : size + batch])
        size += batch
        assert tree.size == size
        assert tree.root() == root_from_leaf_hashes(BIG_LEAVES[:size])
        for level, index, value in new:  # every node it announced is what the tree now stores
            assert tree.get(level, index) == value == mth(BIG_LEAVES[index << level : (index + 1) << level])


def test_append_returns_indexes() -> None:
    tree = MemoryTree()
    assert [tree.append(data) for data in LEAF_INPUTS] == list(range(8))
    assert len(tree) == 8
    assert tree.leaf_hash(3) == NODE_HASHES[0][3]
    assert tree.append_leaf_hash(leaf_hash(b"ninth")) == 8
    assert tree.root() == root_from_leaf_hashes([*NODE_HASHES[0], leaf_hash(b"ninth")])
    assert tree.root(8) == ROOTS[8]


# --- cost: O(log n) reads without building a big tree -------------------------------------------------

BIG = 2**20


@settings(max_examples=200, deadline=None)
@given(st.integers(0, BIG - 1))
def test_inclusion_proof_reads_at_most_log_n_nodes(index: int) -> None:
    reader = CountingReader(SyntheticReader(BIG))
    proof_ = inclusion_proof(reader, index, BIG)
    assert len(proof_) == 20
    assert len(reader.calls) == 20  # a power-of-two tree: every proof node is one stored perfect node


@settings(max_examples=200, deadline=None)
@given(size_and_index(max_size=BIG))
def test_any_proof_reads_at_most_2_log_n_nodes(case: tuple[int, int]) -> None:
    size, index = case
    bound = 2 * max(1, math.ceil(math.log2(size))) + 1
    reader = CountingReader(SyntheticReader(size))
    inclusion_proof(reader, index, size)
    assert len(reader.calls) <= bound
    reader.calls.clear()
    consistency_proof(reader, index + 1, size)
    assert len(reader.calls) <= bound


# --- the verifiers never raise ------------------------------------------------------------------------

junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.binary(max_size=40),
    st.text(max_size=5),
    st.floats(),
    st.lists(st.binary(min_size=31, max_size=33), max_size=5),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=3)), max_size=3),
    st.builds(bytearray, st.binary(min_size=32, max_size=32)),
    st.just(b"x" * 32),
)


@settings(max_examples=500, deadline=None)
@given(junk, junk, junk, junk, junk)
def test_verifiers_never_raise(a, b, c, d, e) -> None:
    assert verify_inclusion(a, b, c, d, e) in (True, False)
    assert verify_consistency(a, b, c, d, e) in (True, False)
    assert verify_inclusion(SOME_HASH, 0, 2, [a], SOME_HASH) is False
    assert verify_consistency(1, 3, SOME_HASH, SOME_HASH, [b, c]) is False


def test_verifiers_accept_bytearray_and_tuples() -> None:
    proof_ = tuple(bytearray(p) for p in INCLUSION_PROOFS[2][2])
    assert verify_inclusion(bytearray(leaf_hash(LEAF_INPUTS[5])), 5, 8, proof_, bytearray(ROOTS[8]))
    assert verify_consistency(6, 8, bytearray(ROOTS[6]), ROOTS[8], tuple(CONSISTENCY_PROOFS[2][2]))
    assert not verify_inclusion(leaf_hash(LEAF_INPUTS[5]), True, 8, list(proof_), ROOTS[8])  # bool is no index
