""".github/workflows/release.yml: GitHub's schema, and the shape RELEASING.md promises.

It cannot run here; these tests read it. check-jsonschema (pinned, with GitHub's workflow schema
vendored: no network) validates it; ruamel.yaml, which check-jsonschema brings, parses it as
YAML 1.2, where ``on`` stays a string.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "release.yml"
PACKAGES = sorted(path.parent.name for path in ROOT.glob("packages/*/pyproject.toml"))


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    yaml = pytest.importorskip("ruamel.yaml", reason="ruamel.yaml comes with check-jsonschema")
    loaded: dict[str, Any] = yaml.YAML(typ="safe", pure=True).load(WORKFLOW.read_text(encoding="utf-8"))
    return loaded


def runs(job: dict[str, Any]) -> str:
    return "\n".join(str(step.get("run", "")) for step in job["steps"])


def test_it_matches_githubs_workflow_schema() -> None:
    """check-jsonschema --builtin-schema vendor.github-workflows, as the brief of issue 23 asks."""
    command = shutil.which("check-jsonschema")
    if command is None:
        pytest.skip("check-jsonschema is not installed (bash tools/test.sh -s release installs it)")
    result = subprocess.run(
        [command, "--builtin-schema", "vendor.github-workflows", str(WORKFLOW)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_runs_on_release_tags_only(workflow: dict[str, Any]) -> None:
    """A push of anemo-NAME-vX.Y.Z, nothing else."""
    assert workflow["on"] == {"push": {"tags": ["anemo-*-v*"]}}
    assert workflow["permissions"] == {"contents": "read"}


def test_one_publish_job_per_package(workflow: dict[str, Any]) -> None:
    """Every packages/NAME has its job, gated on its tag prefix, publishing only its own files."""
    publish = {name: job for name, job in workflow["jobs"].items() if name.startswith("publish-")}
    assert sorted(publish) == [f"publish-{name}" for name in PACKAGES]
    for name in PACKAGES:
        job = publish[f"publish-{name}"]
        assert job["if"] == f"startsWith(github.ref_name, 'anemo-{name}-v')"
        assert job["environment"] == {"name": "pypi", "url": f"https://pypi.org/p/anemo-{name}"}
        assert f"anemo_{name}-*) ;;" in runs(job)
        uses = [step.get("uses", "") for step in job["steps"]]
        assert uses[-1] == "pypa/gh-action-pypi-publish@release/v1"


def test_only_publish_jobs_can_mint_a_token(workflow: dict[str, Any]) -> None:
    """id-token: write on the publish jobs alone; the build, which runs pip, gets none."""
    for name, job in workflow["jobs"].items():
        token = job.get("permissions", {}).get("id-token")
        assert (token == "write") is name.startswith("publish-"), name


def test_every_job_builds_and_checks_through_release_sh_with_the_tag(workflow: dict[str, Any]) -> None:
    """The build job runs release.sh --tag; every publish job takes only what that job built."""
    jobs = workflow["jobs"]
    builders = [
        name for name, job in jobs.items() if 'bash tools/release.sh --tag "$GITHUB_REF_NAME"' in runs(job)
    ]
    assert builders == ["build"]
    for name, job in jobs.items():
        if name != "build":
            assert job["needs"] == "build", name
            assert {"name": "dist", "path": "dist/"} in [step.get("with") for step in job["steps"]], name
