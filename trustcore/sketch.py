"""A mergeable quantile sketch (DDSketch, Masson et al., VLDB 2019) with a relative-error guarantee.

Any quantile it returns is within ±ALPHA (1 %) *relative* error of the exact value at the same rank
(``|estimate − exact| ≤ ALPHA·|exact|``). Sketches merge by adding bucket counts, so per-day sketches
combine into a window's sketch without touching raw evidence. Pure standard library: the offline
verifier can use it. Serialised as ``{"p": {index: count}, "n": {index: count}, "z": zeros}``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

ALPHA = 0.01
GAMMA = (1 + ALPHA) / (1 - ALPHA)
LOG_GAMMA = math.log(GAMMA)
MIN_INDEXABLE = 1e-9  # values closer to zero than this count as zero


@dataclass
class Sketch:
    positive: dict[int, int] = field(default_factory=dict)
    negative: dict[int, int] = field(default_factory=dict)
    zeros: int = 0

    @property
    def count(self) -> int:
        return self.zeros + sum(self.positive.values()) + sum(self.negative.values())

    def add(self, value: float, weight: int = 1) -> None:
        if abs(value) < MIN_INDEXABLE:
            self.zeros += weight
            return
        store = self.positive if value > 0 else self.negative
        index = math.ceil(math.log(abs(value)) / LOG_GAMMA)
        store[index] = store.get(index, 0) + weight

    def extend(self, values: Iterable[float]) -> None:
        for value in values:
            self.add(value)

    def merge(self, other: Sketch) -> None:
        for mine, theirs in ((self.positive, other.positive), (self.negative, other.negative)):
            for index, count in theirs.items():
                mine[index] = mine.get(index, 0) + count
        self.zeros += other.zeros

    def quantile(self, q: float) -> float | None:
        """The value at rank ceil(q·n) (nearest-rank), within ALPHA relative error."""
        total = self.count
        if total == 0:
            return None
        rank = max(1, math.ceil(q * total))
        seen = 0
        for index in sorted(self.negative, reverse=True):  # most negative first
            seen += self.negative[index]
            if seen >= rank:
                return -_value(index)
        seen += self.zeros
        if seen >= rank:
            return 0.0
        for index in sorted(self.positive):
            seen += self.positive[index]
            if seen >= rank:
                return _value(index)
        return _value(max(self.positive))  # unreachable: ranks add up

    def to_json(self) -> dict[str, Any]:
        return {
            "p": {str(k): v for k, v in self.positive.items()},
            "n": {str(k): v for k, v in self.negative.items()},
            "z": self.zeros,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Sketch:
        if not data:
            return cls()
        return cls(
            {int(k): v for k, v in data.get("p", {}).items()},
            {int(k): v for k, v in data.get("n", {}).items()},
            int(data.get("z", 0)),
        )


def _value(index: int) -> float:
    # The midpoint (in relative terms) of bucket (γ^(i-1), γ^i]: within ALPHA of anything in it.
    return 2 * GAMMA**index / (GAMMA + 1)


def exact_quantile(values: list[float], q: float) -> float | None:
    """Nearest-rank quantile of raw values: the reference the sketch approximates."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]
