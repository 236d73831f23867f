"""The errors of anemo.hashring, all under one base class.

::

    HashRingError
    ├── InvalidKeyError        (also TypeError)   a key that is neither str nor bytes
    ├── InvalidNodeError       (also ValueError)  a node name that is not a non-empty UTF-8 str
    ├── InvalidWeightError     (also ValueError)  a weight outside (0, 2**32], or too many points
    ├── DuplicateNodeError     (also ValueError)  adding a node that is already there
    ├── UnknownNodeError       (also KeyError)    naming a node that is not there
    └── InvalidOptionError     (also ValueError)  an option or argument out of range
"""

from __future__ import annotations

__all__ = [
    "HashRingError",
    "InvalidKeyError",
    "InvalidNodeError",
    "InvalidWeightError",
    "DuplicateNodeError",
    "UnknownNodeError",
    "InvalidOptionError",
]


class HashRingError(Exception):
    """Base class of every error raised by anemo.hashring."""


class InvalidKeyError(HashRingError, TypeError):
    """A key could not be hashed: keys are ``str`` (hashed as UTF-8) or bytes."""

    def __init__(self, key: object, reason: str) -> None:
        super().__init__(f"cannot hash key of type {type(key).__name__}: {reason}")
        self.key_type = type(key)
        self.reason = reason


class InvalidNodeError(HashRingError, ValueError):
    """A node name must be a non-empty ``str`` that encodes as UTF-8 (no lone surrogates)."""

    def __init__(self, node: object) -> None:
        super().__init__(f"node names are non-empty str encodable as UTF-8, got {node!r}")
        self.node = node


class InvalidWeightError(HashRingError, ValueError):
    """A weight must be an int or float in ``(0, 2**32]`` that gives the node a bounded number of points."""

    def __init__(self, node: str, weight: object, reason: str = "must be a number > 0 and <= 2**32") -> None:
        super().__init__(f"weight of node {node!r} {reason}, got {weight!r}")
        self.node = node
        self.weight = weight
        self.reason = reason


class DuplicateNodeError(HashRingError, ValueError):
    """The node is already a member; use ``set_weight`` to change it."""

    def __init__(self, node: str) -> None:
        super().__init__(f"node {node!r} is already in the ring")
        self.node = node


class UnknownNodeError(HashRingError, KeyError):
    """The node is not a member."""

    def __init__(self, node: str) -> None:
        super().__init__(node)
        self.node = node

    def __str__(self) -> str:
        return f"node {self.node!r} is not in the ring"


class InvalidOptionError(HashRingError, ValueError):
    """An option or argument is out of range, or options conflict."""

    def __init__(self, option: str, message: str) -> None:
        super().__init__(f"{option}: {message}")
        self.option = option
