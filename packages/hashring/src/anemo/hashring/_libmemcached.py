"""libmemcached's weighted ketama (``MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED``), to the bit.

Two details differ from libketama: the number of points is computed in C ``float`` (float32),
and a server on the default port 11211 names its points ``"{host}-{i}"`` while any other port
gives ``"{host}:{port}-{i}"``. Lookups take the first point at or above the key's hash.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from struct import Struct

from .errors import InvalidWeightError

__all__ = ["point_counts", "point_label"]

DEFAULT_PORT = "11211"
_FLOAT32 = Struct("<f")
_MAX_WEIGHT = 2**32 - 1  # a server's weight is a uint32_t


def _f32(value: float) -> float:
    """``value`` rounded to the nearest C float, as each float operation in C rounds."""
    return _FLOAT32.unpack(_FLOAT32.pack(value))[0]  # type: ignore[no-any-return]


def point_label(name: str) -> str:
    """The text a server's points hash from: ``host`` on port 11211, else ``host:port``."""
    host, colon, port = name.rpartition(":")
    return host if colon and port == DEFAULT_PORT else name


def point_counts(weights: Mapping[str, object], points_per_server: int) -> dict[str, int]:
    """Points per server: ``floorf(w / W * points / 4 * n + 1e-10) * 4`` in libmemcached's float math."""
    for name, weight in weights.items():
        if isinstance(weight, bool) or not isinstance(weight, int) or weight > _MAX_WEIGHT:
            raise InvalidWeightError(
                name, weight, "must be an int <= 2**32 - 1 (a C uint32) in libmemcached mode"
            )
    total = _f32(sum(weights.values()))  # type: ignore[arg-type]
    servers = _f32(len(weights))
    counts = {}
    for name, weight in weights.items():
        share = _f32(_f32(weight) / total)  # type: ignore[arg-type]
        digests = _f32(_f32(_f32(share * points_per_server) / 4) * servers)
        counts[name] = math.floor(_f32(digests + 0.0000000001)) * 4
    return counts
