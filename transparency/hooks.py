"""Extension points of the transparency log, filled by the apps that log things (dependencies point one way).

``logged_data``: functions ``() -> iterable of (leaf_index, canonical bytes as text)`` yielding what each
leaf commits to, in index order. ``verify_log`` re-hashes them against the stored leaves. The log itself
never learns what it logs; the verdicts app registers the evidence records (``verdicts.apps``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

logged_data: list[Callable[[], Iterable[tuple[int, str]]]] = []
