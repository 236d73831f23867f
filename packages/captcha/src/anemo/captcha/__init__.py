"""Pillow image captcha and a one-time, expiring verification flow."""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
