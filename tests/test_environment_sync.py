"""environment.yml (conda) lists the same dependencies as pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
# conda-forge names that differ from the PyPI name of the same package.
CONDA_TO_PYPI = {"matplotlib-base": "matplotlib"}
# Conda entries that are the environment itself, not project dependencies.
CONDA_ONLY = {"python", "pip"}


def _name(requirement: str) -> str:
    """The normalised package name of a requirement such as ``Python_Calamine>=0.2``."""
    name = re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def pyproject_names() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    requirements = project["dependencies"] + project["optional-dependencies"]["test"]
    return {_name(r) for r in requirements}


def environment_names() -> set[str]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    names = set()
    for entry in env["dependencies"]:
        if isinstance(entry, dict):  # the pip section
            names |= {_name(r) for r in entry["pip"] if not r.startswith("-e")}
        else:
            conda = _name(entry)
            names.add(CONDA_TO_PYPI.get(conda, conda))
    return names - CONDA_ONLY


def test_name_normalisation():
    assert _name("Python_Calamine>=0.2") == "python-calamine"
    assert _name("scikit.learn [extra] >= 1") == "scikit-learn"


def test_every_pyproject_dependency_is_in_environment_yml():
    missing = pyproject_names() - environment_names()
    assert not missing, f"add to environment.yml: {sorted(missing)}"


def test_environment_yml_has_nothing_pyproject_lacks():
    extra = environment_names() - pyproject_names()
    assert not extra, f"in environment.yml but not in pyproject.toml: {sorted(extra)}"
