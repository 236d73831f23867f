"""Without the xxhash extra, asking for its hash says what to install."""

from __future__ import annotations

import subprocess
import sys

_XXH3_WITHOUT_XXHASH = """
import sys


class Missing:
    '''Makes xxhash import as if it were not installed.'''

    def find_spec(self, name, path=None, target=None):
        if name == "xxhash" or name.startswith("xxhash."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, Missing())
from anemo.hashring import HashRing, InvalidOptionError

try:
    HashRing(["a", "b"], hash="xxh3")
except InvalidOptionError as exc:
    print(exc.option, exc, sep="|")
"""


def test_xxh3_without_xxhash_names_the_extra() -> None:
    """hash="xxh3" without xxhash is an InvalidOptionError giving the pip command."""
    result = subprocess.run(
        [sys.executable, "-c", _XXH3_WITHOUT_XXHASH], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "hash|hash: 'xxh3' needs xxhash: pip install 'anemo-hashring[xxhash]'"
