"""Test support for anemo: real servers as pytest fixtures, a loop thread, and packaging checks."""

from ._clock import Clock
from ._distribution import check_distribution
from ._loop import LoopThread
from ._missing import error_without
from ._servers import (
    MemcachedServer,
    MissingServerBinary,
    RedisCluster,
    RedisServer,
    ServerError,
    ServerProcess,
    free_port,
)
from .plugin import Servers

__version__ = "0.1.0"

__all__ = [
    "Clock",
    "LoopThread",
    "MemcachedServer",
    "MissingServerBinary",
    "RedisCluster",
    "RedisServer",
    "ServerError",
    "ServerProcess",
    "Servers",
    "__version__",
    "check_distribution",
    "error_without",
    "free_port",
]
