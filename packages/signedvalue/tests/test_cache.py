"""BuildingCache: built once per key, bounded, failures not kept."""

from __future__ import annotations

import pytest

from anemo.signedvalue._cache import BuildingCache


def test_builds_once_and_keeps() -> None:
    """A key is built on first lookup only."""
    built: list[str] = []

    def build(key: str) -> str:
        built.append(key)
        return key.upper()

    cache = BuildingCache(build, maxsize=4)
    assert cache["a"] == "A"
    assert cache["a"] == "A"
    assert built == ["a"]


def test_is_bounded() -> None:
    """Reaching maxsize empties the cache before the new entry goes in."""
    cache = BuildingCache(str, maxsize=3)
    for key in range(10):
        assert cache[key] == str(key)
        assert len(cache) <= 3
    assert key in cache


def test_failures_are_not_kept() -> None:
    """A build that raises leaves nothing behind and raises again next time."""
    cache: BuildingCache[str, int] = BuildingCache(int, maxsize=4)
    for _ in range(2):
        with pytest.raises(ValueError, match="invalid literal"):
            cache["x"]
    assert not cache
