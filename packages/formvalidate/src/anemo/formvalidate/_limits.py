"""Bounds on the size and shape of a submission, enforced before any parsing or regex."""

from __future__ import annotations

from dataclasses import dataclass, fields

from ._declaration import check_option

__all__ = ["Limits", "DEFAULT_LIMITS"]


@dataclass(frozen=True)
class Limits:
    """How much input one form accepts.

    Each bound turns an oversized submission into a field error cheaply, before decoding
    or pattern matching, so a hostile request costs microseconds rather than seconds.
    """

    max_fields: int = 1000
    """Distinct names in ``arguments`` (and, separately, in ``files``)."""
    max_entries: int = 1000
    """Entries of one list (``items[N]``), values of one multi-valued field, files of one field."""
    max_depth: int = 16
    """Segments of one name: ``hosts[1].port`` has three."""
    max_value_length: int = 65536
    """Characters (or bytes, before decoding) of one submitted value."""
    max_name_length: int = 256
    """Characters of one submitted name; longer names are ignored."""

    def __post_init__(self) -> None:
        for limit in fields(self):
            check_option("Limits", limit.name, getattr(self, limit.name), int, minimum=1)


DEFAULT_LIMITS = Limits()
