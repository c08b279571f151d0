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
sys.path.insert(0, os.path.join(REPO, "tools"))
import role_readme  # noqa: E402

ROLES = sorted(os.listdir(os.path.join(REPO, "roles")))


def test_every_role_has_an_argument_spec():
    assert role_readme.roles() == ROLES


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


def test_markup_becomes_markdown():
    assert role_readme.markdown("C(a) I(b) B(c) M(d.e) U(http://x) L(t,http://y)") == \
        "`a` *b* **c** `d.e` <http://x> [t](http://y)"
    assert role_readme.value("") == '`""`'
    assert role_readme.value([1, "x"]) == "`[1, x]`"
