"""Under FIPS mode, where OpenSSL refuses MD5 unless it is not for security, every mode still works."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from anemo.hashring import Distributor, HashRing, RendezvousHash, md5_64

NODES = {"cache-a:11211": 1, "cache-b:11211": 2, "cache-c:11212": 3}
KEYS: list[str | bytes] = [*(f"user:{i}" for i in range(300)), b"\xff raw bytes", "caf\u00e9"]

# Run with sys.executable -W error -c CHILD <this file> <"_md5" or "hashlib">. The md5 constructors are
# replaced before anemo.hashring is first imported (by run_path, from this file's imports), each with
# one that refuses a call without usedforsecurity=False, as OpenSSL does in FIPS mode.
CHILD = """
import hashlib, json, runpy, sys, types

refused, used = [], set()

def refusing(name, real):
    def md5(*args, usedforsecurity=True, **kwargs):
        if usedforsecurity:
            raise ValueError("[digital envelope routines] unsupported")
        used.add(name)
        return real(*args, usedforsecurity=usedforsecurity, **kwargs)
    try:
        md5(b"a plain call")
    except ValueError:
        refused.append(name)
    return md5

path, md5_from = sys.argv[1:]
hashlib.md5 = refusing("hashlib.md5", hashlib.md5)
if md5_from == "_md5":
    import _md5
    fake = types.ModuleType("_md5")
    fake.md5 = refusing("_md5.md5", _md5.md5)
    sys.modules["_md5"] = fake
else:
    sys.modules["_md5"] = None  # as if built without it: anemo.hashring falls back to hashlib
mappings = runpy.run_path(path)["mappings"]()
print(json.dumps({"refused": refused, "used": sorted(used), "mappings": mappings}))
"""


def mappings() -> dict[str, Any]:
    """Owners, replicas and point counts in every mode, ketama's after a join, and raw hashes."""
    ketama = HashRing(NODES, compat="ketama")
    ketama.add_node("cache-d:11211")  # libketama renormalises: every node gains points, from a later digest
    rings: dict[str, Distributor] = {
        "native": HashRing(NODES),
        "ketama": ketama,
        "libmemcached": HashRing(NODES, compat="libmemcached"),
        "rendezvous": RendezvousHash(NODES),
    }
    found: dict[str, Any] = {mode: [ring.get_nodes(key, 2) for key in KEYS] for mode, ring in rings.items()}
    found["points"] = {
        mode: {name: ring.point_count(name) for name in ring}
        for mode, ring in rings.items()
        if isinstance(ring, HashRing)
    }
    found["md5_64"] = [md5_64(key.encode() if isinstance(key, str) else key) for key in KEYS]
    return found


@pytest.mark.parametrize(
    ("md5_from", "refused"),
    [
        pytest.param("_md5", ["hashlib.md5", "_md5.md5"], id="builtin-md5"),
        pytest.param("hashlib", ["hashlib.md5"], id="hashlib-fallback"),
    ],
)
def test_fips_mode_maps_keys_as_without_it(md5_from: str, refused: list[str]) -> None:
    """With MD5 refused for security, from _md5 or hashlib, every mode maps keys as it does here."""
    if md5_from == "_md5":
        pytest.importorskip("_md5")
    child = subprocess.run(
        [sys.executable, "-W", "error", "-c", CHILD, __file__, md5_from],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert child.returncode == 0, child.stderr
    report = json.loads(child.stdout)
    assert report["refused"] == refused  # a plain call really is refused: the test cannot pass vacuously
    assert report["used"] == [f"{md5_from}.md5"]  # and the rings hashed through the refusing constructor
    assert report["mappings"] == mappings()
