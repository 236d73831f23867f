"""Check one built wheel from inside a fresh environment holding only it and its declared needs.

``python tools/check_wheel.py NAME WHEEL`` fails (exit 1, one line per problem) when the wheel
lacks ``anemo/NAME/py.typed``, ships ``anemo/__init__.py`` or files outside ``anemo/NAME/``, or when
any of its modules fails to import here, such as one importing a sibling it does not declare.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback
import zipfile


def wheel_problems(name: str, wheel: str) -> list[str]:
    """What is wrong with the wheel's file list."""
    with zipfile.ZipFile(wheel) as archive:
        files = archive.namelist()
    problems = []
    if "anemo/__init__.py" in files:
        problems.append("ships anemo/__init__.py: anemo must stay a PEP 420 namespace")
    if f"anemo/{name}/py.typed" not in files:
        problems.append(f"lacks anemo/{name}/py.typed")
    allowed = (f"anemo/{name}/", "anemo/__init__.py")  # the latter is reported above
    strays = [f for f in files if not f.startswith(allowed) and ".dist-info/" not in f]
    if strays:
        problems.append(f"ships files outside anemo/{name}/: {strays[:5]}")
    return problems


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


def main() -> int:
    name, wheel = sys.argv[1], sys.argv[2]
    problems = wheel_problems(name, wheel) + import_problems(name)
    for problem in problems:
        print(f"{wheel}: {problem}", file=sys.stderr)
    if not problems:
        print(f"{wheel}: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
