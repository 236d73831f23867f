"""Run a package's README examples against the installed package, from its unpacked sdist.

``cd UNPACKED-SDIST && VENV/bin/python -P tools/readme_check.py NAME`` runs ``tests/test_readme.py``
with the sdist's own pytest configuration (the anemo_testing plugin comes in through its entry
point), then fails unless the ``anemo.NAME`` the tests imported is the one in this interpreter's
site-packages: ``-P`` keeps the working directory off ``sys.path``, and the sdist's ``src/``
layout keeps the package out of reach anyway; this proves it.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import pytest


def main(name: str) -> int:
    """pytest's exit status, or 1 when the README ran against anything but the installed package."""
    status = int(pytest.main(["-q", "-p", "no:cacheprovider", "tests/test_readme.py"]))
    module = sys.modules.get(f"anemo.{name}")
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    if module is None or not Path(module.__file__ or "").resolve().is_relative_to(site):
        where = getattr(module, "__file__", "nowhere: the README never imported it")
        print(
            f"readme_check: the README tests used anemo.{name} from {where}, not from {site}", file=sys.stderr
        )
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
