"""Signed and optionally encrypted values, byte-compatible with Tornado's signed cookies."""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
