"""The README's examples run as written, in order, against a real redis-server."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from anemo.hashring import HashRing
from anemo_testing import RedisServer

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_examples_run(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every python block runs in one namespace, its asserts holding; the setup block reads REDIS_URL."""
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert len(blocks) >= 3
    namespace: dict[str, object] = {"__name__": "readme"}
    for number, block in enumerate(blocks):
        exec(compile(block, f"README.md block {number}", "exec"), namespace)
    ring = namespace["ring"]
    assert isinstance(ring, HashRing)
    address = f"{redis_server.host}:{redis_server.port}"
    assert dict(ring.nodes) == {address: 1, f"{address}/1": 2}  # the setup block's server, weighted
