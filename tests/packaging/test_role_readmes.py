"""Every role has a README.md whose variables come from its meta/argument_specs.yml (tools/role_readme.py).

Galaxy refuses a collection with a role that has no README ("No role readme found"), and the README is what
Galaxy and Automation Hub show for a role: its generated part must not drift from the argument spec.
"""

import os
import re
import subprocess
import sys

import pytest
import yaml

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = sorted(os.listdir(os.path.join(REPO, "roles")))


def test_every_role_has_an_argument_spec():
    missing = [r for r in ROLES if not os.path.isfile(os.path.join(REPO, "roles", r, "meta", "argument_specs.yml"))]
    assert not missing


def test_generated_part_of_every_role_readme_is_current():
    proc = subprocess.run([sys.executable, os.path.join(REPO, "tools", "role_readme.py"), "--check"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("role", ROLES)
def test_role_readme_names_every_variable_and_has_an_example(role):
    with open(os.path.join(REPO, "roles", role, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    with open(os.path.join(REPO, "roles", role, "meta", "argument_specs.yml"), encoding="utf-8") as handle:
        options = yaml.safe_load(handle)["argument_specs"]["main"].get("options") or {}
    assert text.startswith("# mlops.gitops.{0}\n".format(role))
    missing = [name for name in options if "`{0}`".format(name) not in text]
    assert not missing
    examples = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.S)]
    plays = [play for example in examples if isinstance(example, list) for play in example]
    used = [r.get("role") for play in plays for r in play.get("roles", [])]
    assert "mlops.gitops." + role in used, "the README's example does not use the role"
    for play in plays:
        for r in play.get("roles", []):
            unknown = set(r.get("vars", {})) - set(options)
            assert not unknown, "the example sets variables the role does not have"


@pytest.mark.parametrize("role", ROLES)
def test_no_ansible_markup_is_left_in_a_role_readme(role):
    """The argument spec's C(), I(), B(), M(), U() and L() markup becomes Markdown (tools/role_readme.py)."""
    with open(os.path.join(REPO, "roles", role, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    assert not re.findall(r"(?<![A-Za-z_])[CIBMUL]\([^)\s]+\)", text)
