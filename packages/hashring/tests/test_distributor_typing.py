"""Distributor is generic in its state type and still usable bare, at runtime and under mypy."""

from __future__ import annotations

import typing
from pathlib import Path
from typing import Any

import pytest

from anemo.hashring import Distributor, HashRing, RendezvousHash

BARE_ANNOTATIONS = """
from anemo.hashring import Distributor, HashRing, RendezvousHash


def owner(distributor: Distributor, key: str) -> str | None:
    return distributor.get_node(key)


strategies: list[Distributor] = [HashRing(["a"]), RendezvousHash(["a"])]
owners: list[str | None] = [owner(strategy, "k") for strategy in strategies]
"""


def test_strategies_are_distributors_bare_or_parametrized() -> None:
    """Both strategies are instances of the bare class; subscripting it works at runtime."""
    for strategy in (HashRing(["a", "b"]), RendezvousHash(["a", "b"])):
        assert isinstance(strategy, Distributor)
        assert strategy.get_node("k") in ("a", "b")
    assert typing.get_origin(Distributor[Any]) is Distributor


def test_bare_distributor_annotations_pass_mypy_strict(tmp_path: Path) -> None:
    """A bare ``Distributor`` annotation accepts every strategy under ``mypy --strict``."""
    api = pytest.importorskip("mypy.api")
    module = tmp_path / "uses_distributor.py"
    module.write_text(BARE_ANNOTATIONS, encoding="utf-8")
    stdout, stderr, status = api.run(
        ["--strict", "--no-incremental", "--explicit-package-bases", str(module)]
    )
    assert status == 0, stdout + stderr
