"""The transparency log's Merkle tree: RFC 6962 / RFC 9162 section 2.1, standard library only.

Every accepted evidence record's ``canonical_bytes`` is one leaf of an append-only
Merkle Hash Tree (MTH) built exactly as RFC 9162 2.1.1 describes::

    leaf hash  = SHA-256(0x00 || data)
    node hash  = SHA-256(0x01 || left || right)
    MTH({})    = SHA-256("")
    MTH(D[n])  = node_hash(MTH(D[0:k]), MTH(D[k:n]))   k = largest power of two < n

Storage model (what the server keeps, so proofs cost O(log n) reads):

* A *perfect node* ``(level, index)`` is the hash of the complete subtree over the
  leaves ``[index * 2**level, (index + 1) * 2**level)``. Level 0 holds the leaf hashes.
  Perfect nodes never change once the leaves under them exist, so they are
  append-only too: :func:`appended_nodes` lists the ones a batch of new leaves
  completes (what the server inserts in the same transaction as the leaves).
* Any node of any tree of size ``n`` is either a perfect node or the right-most,
  incomplete subtree ``[start, n)``, whose hash is a short right fold of the
  perfect nodes given by the binary decomposition of ``n - start``
  (:func:`subtree_hash`).
* :func:`inclusion_proof` and :func:`consistency_proof` follow RFC 9162 2.1.3.1 and
  2.1.4.1 and fetch every proof node with :func:`subtree_hash`. All nodes of a proof
  are perfect except at most one (the first right-hand sibling cut by the tree's
  right border), so a proof costs at most ``2 * ceil(log2(n)) + 1`` reads (``log2(n)``
  when ``n`` is a power of two).

Verification (:func:`verify_inclusion`, :func:`verify_consistency`) follows RFC 9162
2.1.3.2 and 2.1.4.2 step by step, and returns ``False`` - never raises - on any
malformed input.

Dependencies: the Python standard library only (the offline verifier imports this
module on its own).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from typing import Protocol, TypeGuard

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "MemoryTree",
    "NodeReader",
    "appended_nodes",
    "consistency_proof",
    "inclusion_proof",
    "is_valid_subtree_range",
    "leaf_hash",
    "node_hash",
    "perfect_nodes",
    "root_from_leaf_hashes",
    "subtree_hash",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
"""Size in bytes of every hash in the tree (SHA-256)."""

EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}): the root hash of the empty tree, SHA-256 of the empty string."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of one leaf (RFC 9162 2.1.1)."""
    return hashlib.sha256(_LEAF_PREFIX + bytes(data)).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node (RFC 9162 2.1.1)."""
    return hashlib.sha256(_NODE_PREFIX + bytes(left) + bytes(right)).digest()


def _is_hash(value: object) -> TypeGuard[bytes | bytearray]:
    return isinstance(value, bytes | bytearray) and len(value) == HASH_SIZE


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _check_hash(value: object, what: str) -> bytes:
    if not _is_hash(value):
        raise ValueError(f"{what} must be {HASH_SIZE} bytes, got {type(value).__name__} {_describe_len(value)}")
    return bytes(value)


def _describe_len(value: object) -> str:
    return f"of length {len(value)}" if isinstance(value, bytes | bytearray) else "(not bytes)"


def _check_count(value: object, what: str) -> int:
    if not _is_count(value):
        raise ValueError(f"{what} must be a non-negative int, got {value!r}")
    return value


def _largest_power_of_two_below(n: int) -> int:
    """k: the largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


# --- roots from scratch ---------------------------------------------------------------


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH of the leaves whose leaf hashes are ``hashes``, in O(n) node hashes.

    Builds the perfect subtrees left to right (a stack of at most log2(n) of them,
    one per set bit of n) and folds them right to left, which is exactly the RFC
    shape for sizes that are not powers of two.
    """
    stack: list[tuple[int, bytes]] = []  # (level, hash) of perfect subtrees, left to right
    for position, value in enumerate(hashes):
        current = _check_hash(value, f"leaf hash #{position}")
        level = 0
        while stack and stack[-1][0] == level:
            current = node_hash(stack.pop()[1], current)
            level += 1
        stack.append((level, current))
    if not stack:
        return EMPTY_ROOT
    root = stack[-1][1]
    for _, left in reversed(stack[:-1]):
        root = node_hash(left, root)
    return root


# --- perfect-node storage ---------------------------------------------------------------


class NodeReader(Protocol):
    """Read access to the stored perfect nodes of a log.

    ``size`` is the number of leaves the store holds: every perfect node over
    leaves below ``size`` is available, i.e. ``get(level, index)`` must answer for
    every ``(index + 1) * 2**level <= size``. ``get`` returns the 32-byte hash of the
    complete subtree over leaves ``[index * 2**level, (index + 1) * 2**level)``
    (level 0: the leaf hashes) and may raise ``LookupError`` for nodes it lacks.
    """

    @property
    def size(self) -> int: ...

    def get(self, level: int, index: int) -> bytes: ...


def is_valid_subtree_range(start: int, end: int) -> bool:
    """Whether ``[start, end)`` is a node of an RFC 9162 tree (of size ``end``).

    True when the range is non-empty and ``start`` is a multiple of the smallest
    power of two that is >= ``end - start``: a perfect subtree, or the right-most
    (possibly incomplete) subtree of a tree of size ``end``.
    """
    if not (_is_count(start) and _is_count(end)) or end <= start:
        return False
    return start % (1 << (end - start - 1).bit_length()) == 0


def perfect_nodes(start: int, end: int) -> list[tuple[int, int]]:
    """The perfect nodes ``(level, index)`` that make up the subtree ``[start, end)``, left to right.

    One per set bit of ``end - start``, largest first. ``[start, end)`` must be a
    valid subtree range (:func:`is_valid_subtree_range`); raises ``ValueError`` otherwise.
    """
    if not is_valid_subtree_range(start, end):
        raise ValueError(f"[{start}, {end}) is not a Merkle subtree range")
    nodes: list[tuple[int, int]] = []
    width = end - start
    position = start
    for level in range(width.bit_length() - 1, -1, -1):
        if width >> level & 1:
            nodes.append((level, position >> level))
            position += 1 << level
    return nodes


def _read(reader: NodeReader, level: int, index: int) -> bytes:
    value = reader.get(level, index)
    if not _is_hash(value):
        raise ValueError(f"node reader returned a malformed hash for level {level} index {index}")
    return bytes(value)


def _subtree_hash(reader: NodeReader, start: int, end: int) -> bytes:
    hashes = [_read(reader, level, index) for level, index in perfect_nodes(start, end)]
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = node_hash(left, result)
    return result


def subtree_hash(reader: NodeReader, start: int, end: int) -> bytes:
    """MTH(D[start:end]) from stored perfect nodes, with ``popcount(end - start)`` reads.

    ``[start, end)`` must be a valid subtree range (see :func:`is_valid_subtree_range`)
    within the reader's leaves; ``start == end == 0`` gives :data:`EMPTY_ROOT`.
    Raises ``ValueError`` for other ranges.
    """
    _check_count(start, "start")
    _check_count(end, "end")
    if start == end == 0:
        return EMPTY_ROOT
    if end > reader.size:
        raise ValueError(f"range [{start}, {end}) goes beyond the {reader.size} stored leaves")
    return _subtree_hash(reader, start, end)


def tree_root(reader: NodeReader, size: int) -> bytes:
    """The root hash of the tree of the first ``size`` leaves (any size <= reader.size)."""
    return subtree_hash(reader, 0, size)


def inclusion_proof(reader: NodeReader, index: int, size: int) -> list[bytes]:
    """PATH(index, D[size]) of RFC 9162 2.1.3.1: the audit path of leaf ``index`` in the tree of ``size`` leaves.

    Ordered from the leaf's sibling up to the root's child. ``size`` may be any
    past size up to ``reader.size``. Raises ``ValueError`` unless ``0 <= index < size``.
    """
    _check_count(index, "index")
    _check_count(size, "size")
    if index >= size:
        raise ValueError(f"leaf index {index} is not below tree size {size}")
    if size > reader.size:
        raise ValueError(f"tree size {size} is beyond the {reader.size} stored leaves")
    # Walk down from the root, noting the sibling subtree at every split:
    # PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])      if m < k
    #               = PATH(m - k, D[k:n]) : MTH(D[0:k])  if m >= k
    siblings: list[tuple[int, int]] = []  # top-down
    start, end = 0, size
    while end - start > 1:
        split = start + _largest_power_of_two_below(end - start)
        if index < split:
            siblings.append((split, end))
            end = split
        else:
            siblings.append((start, split))
            start = split
    return [_subtree_hash(reader, lo, hi) for lo, hi in reversed(siblings)]


def consistency_proof(reader: NodeReader, old_size: int, new_size: int) -> list[bytes]:
    """PROOF(old_size, D[new_size]) of RFC 9162 2.1.4.1: proves the first tree is a prefix of the second.

    Empty when ``old_size == new_size`` or ``old_size == 0`` (the empty tree is a
    prefix of every tree). Raises ``ValueError`` unless ``0 <= old_size <= new_size <= reader.size``.
    """
    _check_count(old_size, "old_size")
    _check_count(new_size, "new_size")
    if old_size > new_size:
        raise ValueError(f"old size {old_size} is larger than new size {new_size}")
    if new_size > reader.size:
        raise ValueError(f"tree size {new_size} is beyond the {reader.size} stored leaves")
    if old_size in (0, new_size):
        return []
    # SUBPROOF(m, D[m], true)  = {}
    # SUBPROOF(m, D[m], false) = {MTH(D[m])}
    # SUBPROOF(m, D[n], b)     = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])          if m <= k
    #                          = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])  if m > k
    nodes: list[tuple[int, int]] = []  # top-down
    start, end, m, complete_old_tree = 0, new_size, old_size, True
    while True:
        width = end - start
        if m == width:
            if not complete_old_tree:
                nodes.append((start, end))
            break
        split = start + _largest_power_of_two_below(width)
        if m <= split - start:
            nodes.append((split, end))
            end = split
        else:
            nodes.append((start, split))
            m -= split - start
            start = split
            complete_old_tree = False
    return [_subtree_hash(reader, lo, hi) for lo, hi in reversed(nodes)]


def appended_nodes(
    existing_size: int, new_leaf_hashes: Iterable[bytes], reader: NodeReader
) -> list[tuple[int, int, bytes]]:
    """The perfect nodes ``(level, index, hash)`` that appending ``new_leaf_hashes`` completes.

    ``reader`` must hold the perfect nodes of the first ``existing_size`` leaves; only
    ``get`` is called, at most once per node on the existing tree's right border
    (``popcount(existing_size)`` reads per call). The result lists, in creation
    order, the new leaves at level 0 followed by every parent they complete -
    ``2 * len(new) - popcount(new_size) + popcount(existing_size)`` nodes in all,
    i.e. amortised fewer than two nodes per leaf. A store that keeps leaf hashes with
    the records may skip the level-0 entries.
    """
    size = _check_count(existing_size, "existing_size")
    known: dict[tuple[int, int], bytes] = {}

    def get(level: int, index: int) -> bytes:
        value = known.get((level, index))
        if value is None:
            value = known[(level, index)] = _read(reader, level, index)
        return value

    created: list[tuple[int, int, bytes]] = []
    for position, value in enumerate(new_leaf_hashes):
        current = _check_hash(value, f"new leaf hash #{position}")
        level, index = 0, size
        while True:
            known[(level, index)] = current
            created.append((level, index, current))
            if not index & 1:
                break
            current = node_hash(get(level, index - 1), current)
            level, index = level + 1, index >> 1
        size += 1
    return created


class MemoryTree:
    """An in-memory log: appends leaves and serves perfect nodes (a :class:`NodeReader`).

    For tests and for the offline verifier, which rebuilds the tree from an export.
    """

    def __init__(self, leaf_hashes: Iterable[bytes] = ()) -> None:
        self._levels: list[list[bytes]] = [[]]
        self.extend_leaf_hashes(leaf_hashes)

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def __len__(self) -> int:
        return self.size

    def get(self, level: int, index: int) -> bytes:
        """The perfect node at ``(level, index)``; ``KeyError`` if it is not complete yet."""
        if _is_count(level) and _is_count(index) and level < len(self._levels) and index < len(self._levels[level]):
            return self._levels[level][index]
        raise KeyError(f"no complete subtree at level {level} index {index} in a tree of {self.size} leaves")

    def append(self, data: bytes) -> int:
        """Append one leaf (its data, hashed with :func:`leaf_hash`); returns its index."""
        return self.append_leaf_hash(leaf_hash(data))

    def extend(self, items: Iterable[bytes]) -> None:
        """Append several leaves given as data."""
        self.extend_leaf_hashes(leaf_hash(item) for item in items)

    def append_leaf_hash(self, value: bytes) -> int:
        """Append one leaf given as its leaf hash; returns its index."""
        index = self.size
        self.extend_leaf_hashes([value])
        return index

    def extend_leaf_hashes(self, hashes: Iterable[bytes]) -> None:
        """Append several leaves given as leaf hashes."""
        for level, index, value in appended_nodes(self.size, hashes, self):
            if level == len(self._levels):
                self._levels.append([])
            nodes = self._levels[level]
            if index != len(nodes):  # appended_nodes creates the nodes of each level in order
                raise RuntimeError(f"out-of-order node at level {level} index {index}")
            nodes.append(value)

    def leaf_hash(self, index: int) -> bytes:
        return self.get(0, index)

    def root(self, size: int | None = None) -> bytes:
        """The root hash at ``size`` (default: the current size)."""
        return tree_root(self, self.size if size is None else size)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        return inclusion_proof(self, index, self.size if size is None else size)

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        return consistency_proof(self, old_size, self.size if new_size is None else new_size)


# --- verification (RFC 9162 2.1.3.2 and 2.1.4.2) ----------------------------------------------


def _proof_list(proof: object) -> list[object] | None:
    if isinstance(proof, str | bytes | bytearray) or not isinstance(proof, Sequence):
        return None
    return list(proof)


def _equal(left: bytes | bytearray, right: bytes | bytearray) -> bool:
    return hmac.compare_digest(bytes(left), bytes(right))


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether ``proof`` shows that ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with ``root``.

    RFC 9162 2.1.3.2, step by step. Any malformed input (wrong types, hashes that
    are not 32 bytes, ``index >= size``, a proof of the wrong length) gives ``False``.
    """
    if not (_is_hash(leaf_hash) and _is_hash(root) and _is_count(index) and _is_count(size)):
        return False
    path = _proof_list(proof)
    if path is None:
        return False
    # 1. If leaf_index is greater than or equal to tree_size, fail.
    if index >= size:
        return False
    # 2. Set fn to leaf_index and sn to tree_size - 1.
    fn, sn = index, size - 1
    # 3. Set r to hash.
    r = bytes(leaf_hash)
    # 4. For each value p in the inclusion_path array:
    for p in path:
        if not _is_hash(p):
            return False
        # a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            return False
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # i. Set r to HASH(0x01 || p || r).
            r = node_hash(bytes(p), r)
            # ii. If LSB(fn) is not set, then right-shift both fn and sn equally
            #     until either LSB(fn) is set or fn is 0.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            # Otherwise: i. Set r to HASH(0x01 || r || p).
            r = node_hash(r, bytes(p))
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 5. Compare sn to 0. Compare r against the root_hash. Verified if sn is 0 and r equals root_hash.
    return sn == 0 and _equal(r, root)


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` shows the tree (``old_size``, ``old_root``) is a prefix of (``new_size``, ``new_root``).

    RFC 9162 2.1.4.2, step by step, for ``0 < old_size < new_size``. The cases the RFC
    leaves out: ``old_size == new_size`` holds iff the proof is empty and the roots
    are equal; ``old_size == 0`` holds iff the proof is empty and ``old_root`` is
    :data:`EMPTY_ROOT` (every tree extends the empty tree); ``old_size > new_size``
    never holds. Any malformed input gives ``False``.
    """
    if not (_is_count(old_size) and _is_count(new_size) and _is_hash(old_root) and _is_hash(new_root)):
        return False
    path = _proof_list(proof)
    if path is None or old_size > new_size:
        return False
    if old_size == new_size:
        return not path and _equal(old_root, new_root) and (old_size > 0 or _equal(old_root, EMPTY_ROOT))
    if old_size == 0:
        return not path and _equal(old_root, EMPTY_ROOT)
    # 1. If consistency_path is an empty array, stop and fail the proof verification.
    if not path:
        return False
    # 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
    if old_size & (old_size - 1) == 0:
        path.insert(0, bytes(old_root))
    # 3. Set fn to first - 1 and sn to second - 1.
    fn, sn = old_size - 1, new_size - 1
    # 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
    while fn & 1:
        fn >>= 1
        sn >>= 1
    # 5. Set both fr and sr to the first value in the consistency_path array.
    seed = path[0]
    if not _is_hash(seed):
        return False
    fr = sr = bytes(seed)
    # 6. For each subsequent value c in the consistency_path array:
    for c in path[1:]:
        if not _is_hash(c):
            return False
        # a. If sn is 0, then stop the iteration and fail the proof verification.
        if sn == 0:
            return False
        # b. If LSB(fn) is set, or if fn is equal to sn, then:
        if fn & 1 or fn == sn:
            # i. Set fr to HASH(0x01 || c || fr).  ii. Set sr to HASH(0x01 || c || sr).
            fr = node_hash(bytes(c), fr)
            sr = node_hash(bytes(c), sr)
            # iii. If LSB(fn) is not set, then right-shift both fn and sn equally
            #      until either LSB(fn) is set or fn is 0.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            # Otherwise: i. Set sr to HASH(0x01 || sr || c).
            sr = node_hash(sr, bytes(c))
        # c. Finally, right-shift both fn and sn one time.
        fn >>= 1
        sn >>= 1
    # 7. Verify fr equals first_hash, sr equals second_hash, and sn is 0.
    return sn == 0 and _equal(fr, old_root) and _equal(sr, new_root)
