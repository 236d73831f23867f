"""Server-side sessions for Tornado: memory, Redis, memcached, sharded and Redis Cluster stores."""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
