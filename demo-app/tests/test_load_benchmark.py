"""The load benchmark's stock peer still serves the demo's pages: a template change must not
silently break ``benchmarks/load_demo.py``, as the flash messages in the base template once did."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

LOAD_DEMO = Path(__file__).resolve().parents[2] / "benchmarks" / "load_demo.py"


def test_both_apps_serve_every_measured_page_and_the_same_home_page() -> None:
    result = subprocess.run(
        [sys.executable, str(LOAD_DEMO), "--check"], check=False, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "both apps serve every page, on both stores" in result.stdout
