"""Print one closing line for the whole run from the JUnit XML files pytest wrote.

``python tools/summarize_junit.py DIR`` -> ``anemo: N passed, N failed, N skipped (M test runs)``.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def main() -> int:
    reports = sorted(Path(sys.argv[1]).glob("*.xml"))
    passed = failed = skipped = 0
    for report in reports:
        for suite in ET.parse(report).getroot().iter("testsuite"):  # noqa: S314 - our own reports
            total, skips = int(suite.get("tests", 0)), int(suite.get("skipped", 0))
            bad = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
            passed += total - skips - bad
            failed += bad
            skipped += skips
    print(f"anemo: {passed} passed, {failed} failed, {skipped} skipped ({len(reports)} test runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
