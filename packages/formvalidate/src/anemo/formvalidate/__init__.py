"""Declarative field-based form validation with nested and list forms and safe uploads."""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
