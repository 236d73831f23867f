"""Consistent hashing: weighted ring, ketama-compatible, replicas, bounded loads."""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
