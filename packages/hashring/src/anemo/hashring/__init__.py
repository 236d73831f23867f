"""Consistent hashing: weighted ring, ketama-compatible, rendezvous, replicas, bounded loads.

>>> ring = HashRing({"cache-a": 1, "cache-b": 2})
>>> ring.get_node("user:42") in ring
True
"""

from ._balance import Balance
from ._base import Distributor, Key, Nodes, Weight
from ._hashing import HashFunction, HashName, md5_64
from ._rendezvous import RendezvousHash
from ._ring import Compat, HashRing
from .adapters import pymemcache_hasher, redis_node_name, redis_ring
from .errors import (
    DuplicateNodeError,
    HashRingError,
    InvalidKeyError,
    InvalidNodeError,
    InvalidOptionError,
    InvalidWeightError,
    UnknownNodeError,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # strategies
    "Distributor",
    "HashRing",
    "RendezvousHash",
    # figures and types
    "Balance",
    "Compat",
    "HashFunction",
    "HashName",
    "Key",
    "Nodes",
    "Weight",
    "md5_64",
    # adapters
    "pymemcache_hasher",
    "redis_node_name",
    "redis_ring",
    # errors
    "HashRingError",
    "InvalidKeyError",
    "InvalidNodeError",
    "InvalidOptionError",
    "InvalidWeightError",
    "DuplicateNodeError",
    "UnknownNodeError",
]
