"""No dead dependency (issue 14 item 19): every Python package requirements.txt asks users and the execution
environment to install is imported by the collection's plugins. jmespath was listed and never used."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# distribution name -> the module it provides
MODULES = {"kubernetes": "kubernetes", "pyyaml": "yaml"}


def requirements():
    names = []
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line.split(">")[0].split("=")[0].split("<")[0].split("[")[0].strip().lower())
    return names


def imported_modules():
    found = set()
    for path in (ROOT / "plugins").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("name", requirements())
def test_every_requirement_is_imported_by_the_plugins(name):
    assert name in MODULES, f"requirements.txt lists {name}: name the module it provides here, or drop it"
    assert MODULES[name] in imported_modules(), f"requirements.txt lists {name}, which no plugin imports"


def test_the_readme_and_the_execution_environment_name_only_what_is_required():
    for path in ("README.md", "execution-environment.yml"):
        assert "jmespath" not in (ROOT / path).read_text().lower(), path
