"""Without the xxhash extra, asking for its hash says what to install."""

from __future__ import annotations

from anemo_testing import error_without


def test_xxh3_without_xxhash_names_the_extra() -> None:
    """hash="xxh3" without xxhash is an InvalidOptionError giving the pip command."""
    code = "from anemo.hashring import HashRing\nHashRing(['a', 'b'], hash='xxh3')"
    assert error_without("xxhash", code) == (
        "InvalidOptionError|None|hash: 'xxh3' needs xxhash: pip install 'anemo-hashring[xxhash]'"
    )
