"""Check one built package from inside a fresh environment holding only it and its declared needs.

``python tools/check_wheel.py NAME WHEEL [--sdist SDIST]`` fails (exit 1, one line per problem) when:

- the wheel lacks ``anemo/NAME/py.typed`` or its licence in ``*.dist-info/licenses/``, or ships
  ``anemo/__init__.py`` or files outside ``anemo/NAME/``;
- the sdist (when given) lacks ``tests/``, ``LICENSE`` or ``PKG-INFO``;
- ``anemo.NAME`` is not imported from this environment's site-packages (a checkout or a stray path
  would hide what users get);
- any of its modules fails to import here, such as one importing a sibling it does not declare.

``tools/release.sh`` runs it in each fresh venv right after ``pip install anemo-NAME[extras]``.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
import sysconfig
import tarfile
import traceback
import zipfile
from pathlib import Path


def wheel_problems(name: str, wheel: str) -> list[str]:
    """What is wrong with the wheel's file list."""
    with zipfile.ZipFile(wheel) as archive:
        files = archive.namelist()
    problems = []
    if "anemo/__init__.py" in files:
        problems.append("ships anemo/__init__.py: anemo must stay a PEP 420 namespace")
    if f"anemo/{name}/py.typed" not in files:
        problems.append(f"lacks anemo/{name}/py.typed")
    if not any(f.split("/")[0].endswith(".dist-info") and "/licenses/LICENSE" in f for f in files):
        problems.append("lacks its licence: no *.dist-info/licenses/LICENSE")
    allowed = (f"anemo/{name}/", "anemo/__init__.py")  # the latter is reported above
    strays = [f for f in files if not f.startswith(allowed) and ".dist-info/" not in f]
    if strays:
        problems.append(f"ships files outside anemo/{name}/: {strays[:5]}")
    return problems


def sdist_problems(sdist: str) -> list[str]:
    """What is missing from the sdist: the tests, the licence and the metadata."""
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    top = Path(sdist).name.removesuffix(".tar.gz")
    problems = []
    for wanted in ("tests/", "LICENSE", "PKG-INFO"):
        path = f"{top}/{wanted}"
        if not any(n == path.rstrip("/") or n.startswith(path) for n in names):
            problems.append(f"lacks {wanted} (under {top}/)")
    return problems


def location_problems(name: str) -> list[str]:
    """Whether ``anemo.NAME`` comes from this interpreter's site-packages, as an installed package."""
    module = importlib.import_module(f"anemo.{name}")
    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    where = Path(module.__file__ or "").resolve()
    if not where.is_relative_to(site):
        return [f"anemo.{name} is imported from {where}, not from {site}"]
    return []


def import_problems(name: str) -> list[str]:
    """Import every module of ``anemo.NAME``; report each that fails."""
    problems = []
    package = importlib.import_module(f"anemo.{name}")
    modules = [package.__name__]
    modules += [info.name for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")]
    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:  # every failure is reported, whatever its kind
            last = traceback.format_exc().strip().splitlines()[-1]
            problems.append(f"import {module} fails with only its declared dependencies: {last}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Check and report; exit status 1 when anything is wrong."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("name", help="the short package name: sessions for anemo.sessions")
    parser.add_argument("wheel")
    parser.add_argument("--sdist", help="the sdist the wheel was built from")
    options = parser.parse_args(argv)
    problems = wheel_problems(options.name, options.wheel)
    if options.sdist:
        problems += [f"{options.sdist}: {p}" for p in sdist_problems(options.sdist)]
    problems += location_problems(options.name) + import_problems(options.name)
    for problem in problems:
        print(f"{options.wheel}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{options.wheel}: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
