"""The anemo demo: one Tornado application composing all six anemo packages."""

__version__ = "0.1.0.dev0"
