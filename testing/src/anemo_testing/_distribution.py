"""The packaging facts every installed ``anemo-NAME`` distribution must keep."""

from __future__ import annotations

import importlib
import importlib.metadata
import subprocess
import sys

__all__ = ["check_distribution"]


def check_distribution(name: str) -> None:
    """Assert that ``anemo.NAME`` is installed soundly.

    - its ``__version__`` is the version in the installed metadata;
    - ``anemo`` is a PEP 420 namespace (no ``anemo/__init__.py`` shipped by anyone);
    - importing the core does not import tornado (the adapter is opt-in);
    - every name in ``__all__`` exists.
    """
    module = importlib.import_module(f"anemo.{name}")
    assert module.__version__ == importlib.metadata.version(f"anemo-{name}")

    namespace = importlib.import_module("anemo")
    assert getattr(namespace, "__file__", None) is None, f"anemo is a regular package: {namespace.__file__}"

    missing = [attr for attr in module.__all__ if not hasattr(module, attr)]
    assert not missing, f"anemo.{name}.__all__ names missing attributes: {missing}"

    probe = f"import sys, anemo.{name}; print(sorted(m for m in sys.modules if m.split('.')[0] == 'tornado'))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]", f"importing anemo.{name} imported {result.stdout.strip()}"
