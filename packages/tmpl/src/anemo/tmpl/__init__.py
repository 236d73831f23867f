"""A template engine compatible with Tornado's template syntax, and faster."""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
