"""Test support for anemo: real servers as fixtures, a loop thread, the error-rule check, packaging checks."""

from ._clock import Clock
from ._distribution import check_distribution
from ._loop import LoopThread
from ._missing import error_without
from ._mistakes import raises_mistake
from ._servers import (
    MemcachedServer,
    MissingServerBinary,
    NotRedisServer,
    PostgresServer,
    RedisCluster,
    RedisSentinel,
    RedisServer,
    ReplyError,
    SentinelServer,
    ServerError,
    ServerProcess,
    TLSFiles,
    ValkeyServer,
    free_port,
    redis_client_options,
    redis_server_binary,
    valkey_binary,
)
from .plugin import Servers

__version__ = "0.1.0"

__all__ = [
    "Clock",
    "LoopThread",
    "MemcachedServer",
    "MissingServerBinary",
    "NotRedisServer",
    "PostgresServer",
    "RedisCluster",
    "RedisSentinel",
    "RedisServer",
    "ReplyError",
    "SentinelServer",
    "ServerError",
    "ServerProcess",
    "Servers",
    "TLSFiles",
    "ValkeyServer",
    "__version__",
    "check_distribution",
    "error_without",
    "free_port",
    "redis_client_options",
    "raises_mistake",
    "redis_server_binary",
    "valkey_binary",
]
