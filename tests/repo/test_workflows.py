"""The GitHub workflows call the README's commands: CI on pull requests runs
exactly the README's first two commands; a version tag sets spindle up the
README's way, lints the manuscript, builds every edition and attaches the PDFs
and the EPUB to the release."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml

from spindle.cli import run

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"


def readme_commands() -> list[str]:
    """The commands of the README's first code block, comments stripped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^```\w*\n(.*?)^```", text, re.M | re.S).group(1)
    commands = [line.split(" #")[0].strip() for line in block.splitlines()]
    return [c for c in commands if c and not c.startswith("#")]


def workflow(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    data["on"] = data.pop(True, data.get("on"))  # YAML 1.1 reads the key 'on' as true
    return data


def steps(data: dict) -> list[dict]:
    (job,) = data["jobs"].values()
    return job["steps"]


def runs(data: dict) -> list[str]:
    return [step["run"].strip() for step in steps(data) if "run" in step]


def test_the_readme_opens_with_its_two_commands():
    assert readme_commands() == ["./scripts/setup.sh", ".venv/bin/python -m pytest"]


def test_ci_runs_the_readme_commands_on_pull_requests():
    ci = workflow("ci.yml")
    assert "pull_request" in ci["on"]
    assert runs(ci) == readme_commands()
    assert steps(ci)[0]["uses"].startswith("actions/checkout@")


def test_release_sets_up_the_readme_way_checks_builds_and_uploads():
    release = workflow("release.yml")
    assert release["on"] == {"push": {"tags": ["v*"]}}
    assert release["permissions"] == {"contents": "write"}
    commands = runs(release)
    assert commands == [readme_commands()[0], ".venv/bin/spindle check", ".venv/bin/spindle build all"]
    upload = steps(release)[-1]
    assert upload["uses"].startswith("softprops/action-gh-release@")
    assert upload["with"]["files"].split() == ["build/*.pdf", "build/*.epub"]


@pytest.mark.parametrize("name", ["ci.yml", "release.yml"])
def test_workflows_run_in_the_debian_that_setup_installs_for(name):
    (job,) = workflow(name)["jobs"].values()
    assert job["container"].startswith("debian:")
    assert job["timeout-minutes"] <= 90


def test_the_spindle_commands_of_the_workflows_exist(capsys):
    for command in runs(workflow("release.yml")):
        words = shlex.split(command)
        if words[0] == ".venv/bin/spindle":
            assert run(words[1:] + ["--help"]) == 0, command
            assert command in (ROOT / "README.md").read_text(encoding="utf-8")  # documented as the README runs it
    capsys.readouterr()
