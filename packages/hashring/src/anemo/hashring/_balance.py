"""Balance figures: how far the busiest node is above its fair share, and the spread."""

from __future__ import annotations

import statistics
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Balance"]


@dataclass(frozen=True)
class Balance:
    """Keys per node, judged against each node's weight.

    ``max_over_mean`` is the busiest node's load divided by its fair share (1.0 is perfect);
    ``cv`` is the coefficient of variation of load / fair share over all nodes. A ring with ``p``
    points per node has ``cv`` close to ``1 / sqrt(p)``.
    """

    counts: Mapping[str, int]
    max_over_mean: float
    cv: float

    @classmethod
    def measure(cls, counts: Mapping[str, int], weights: Mapping[str, float]) -> Balance:
        """Figures for ``counts`` keys per node of the given weights."""
        total = sum(counts.values())
        if not counts or not total:
            return cls(dict(counts), 0.0, 0.0)
        total_weight = sum(weights[name] for name in counts)
        ratios = [count / (total * weights[name] / total_weight) for name, count in counts.items()]
        return cls(dict(counts), max(ratios), statistics.pstdev(ratios) / statistics.fmean(ratios))
