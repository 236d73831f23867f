"""Packaging facts of the installed anemo-signedvalue."""

from anemo_testing import check_distribution


def test_distribution_is_sound() -> None:
    """Version, PEP 420 namespace and an opt-in Tornado adapter hold once installed."""
    check_distribution("signedvalue")
