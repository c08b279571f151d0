"""What the documentation names exists, and what the roles and playbooks accept is documented.

Checked mechanically: role defaults vs meta/argument_specs.yml vs what the role's tasks and templates use;
the variables a playbook reads vs its header comment (and the ``-e name=...`` the docs pass to it);
``mlops.dev/...`` keys, ``mlops.gitops.<name>`` references, role variables and NOTEBOOK_CONTROLLER_*
settings named in README.md and docs/*.md; relative links and repository paths in the docs; and the
README's first lines (the two commands).
"""

import ast
import glob
import os
import re

import jinja2
import pytest
import yaml

from harness import rbac
from tests.unit.test_awx_surveys import header_comment, variables_read

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
DOCS = [os.path.join(ROOT, "README.md"), os.path.join(ROOT, "CONTRIBUTING.md")] + sorted(
    glob.glob(os.path.join(ROOT, "docs", "*.md")))
ROLES = sorted(os.path.basename(p) for p in glob.glob(os.path.join(ROOT, "roles", "*")))
PLAYBOOKS = sorted(glob.glob(os.path.join(ROOT, "playbooks", "*.yml")))
MODULE_UTILS = os.path.join(ROOT, "plugins", "module_utils")
# mlops.dev/ keys the docs may name that are not ours to define: the user's own labels and keys in examples.
USER_KEYS = {
    "mlops.dev/wave": "docs/sync-waves.md: a label the user puts on jobs for `kubectl wait -l`",
}
# Variables a playbook reads that Ansible or Jinja provide.
ANSIBLE_NAMES = {"omit", "lookup", "query", "q", "ansible_check_mode", "item", "role_path", "none", "true", "false",
                 "now"}
KEY = re.compile(r"(?<![\w.-])mlops\.dev/[\w.-]*\w")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
REPO_PATH = re.compile(r"`((?:docs|roles|plugins|playbooks|tests|tools|meta|molecule|changelogs)/[^`\s]*)`")


def read(path):
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def load(path):
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def rel(path):
    return os.path.relpath(path, ROOT)


def role_file(role, *parts):
    return os.path.join(ROOT, "roles", role, *parts)


def role_options(role):
    return load(role_file(role, "meta", "argument_specs.yml"))["argument_specs"]["main"]["options"]


def role_of(variable):
    """The role whose prefix is the longest one ``variable`` starts with (notebook_controller_deploy_x
    belongs to notebook_controller_deploy, not notebook_controller)."""
    owners = [role for role in ROLES if variable.startswith(role + "_")]
    return max(owners, key=len) if owners else None


def defined_in_tasks(node, found=None):
    """Names a role's tasks define: set_fact keys, register names, task-level vars."""
    found = set() if found is None else found
    if isinstance(node, list):
        for item in node:
            defined_in_tasks(item, found)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ("ansible.builtin.set_fact", "set_fact", "vars") and isinstance(value, dict):
                found |= set(value)
            elif key == "register":
                found.add(value)
            defined_in_tasks(value, found)
    return found


def role_texts(role):
    paths = [p for sub in ("tasks", "templates", "vars") for p in glob.glob(role_file(role, sub, "*"))]
    return {rel(p): read(p) for p in sorted(paths)}


# -- roles ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_role_defaults_and_argument_specs_agree(role):
    defaults = load(role_file(role, "defaults", "main.yml")) or {}
    options = role_options(role)
    assert sorted(defaults) == sorted(options), (
        f"roles/{role}: defaults/main.yml and meta/argument_specs.yml must name the same variables; "
        f"only in defaults: {sorted(set(defaults) - set(options))}, only in argument_specs: "
        f"{sorted(set(options) - set(defaults))}")
    for name, spec in options.items():
        assert spec.get("default") == defaults[name], (
            f"roles/{role}: {name} defaults to {defaults[name]!r} in defaults/main.yml but "
            f"{spec.get('default')!r} in meta/argument_specs.yml")
        assert spec.get("description"), f"roles/{role}: {name} has no description in meta/argument_specs.yml"


@pytest.mark.parametrize("role", ROLES)
def test_every_role_variable_used_is_defined_and_every_option_is_used(role):
    texts = role_texts(role)
    used = {}
    for path, text in texts.items():
        for name in re.findall(r"\b({}_\w+)".format(re.escape(role)), text):
            if role_of(name) == role:
                used.setdefault(name, path)
        # read through mlops.gitops.role_variables, whose settings name them without the role's prefix
        for name in re.findall(r"\bsettings\.(\w+)", text):
            used.setdefault(role + "_" + name, path)
    defined = set(role_options(role))
    vars_file = role_file(role, "vars", "main.yml")
    if os.path.exists(vars_file):
        defined |= set(load(vars_file) or {})
    for path in glob.glob(role_file(role, "tasks", "*.yml")):
        defined |= defined_in_tasks(load(path))
    undefined = {name: path for name, path in used.items() if name not in defined}
    assert not undefined, f"roles/{role}: used but defined nowhere (defaults, vars, set_fact, register): {undefined}"
    unused = sorted(set(role_options(role)) - set(used))
    assert not unused, f"roles/{role}: documented in meta/argument_specs.yml but never used: {unused}"


# -- playbooks ------------------------------------------------------------------------------------
def playbook_variables(path):
    """(variables it reads from outside, variables it sets for itself)."""
    env = jinja2.Environment()
    read_names, own = set(), set()
    for play in load(path):
        read_names |= variables_read(play, env)
        own |= defined_in_tasks(play.get("tasks") or [])
        own |= {k for k in (play.get("vars") or {}) if k.startswith(("reconcile_", "wait_"))}
        read_names |= set(play.get("vars") or {})
    return read_names - own - ANSIBLE_NAMES - {name for name in read_names if role_of(name)}, own


def role_options_of(path):
    """The documented variables (meta/argument_specs.yml) of the roles a playbook runs."""
    return {name for role in roles_included(path) for name in role_options(role)}


@pytest.mark.parametrize("path", PLAYBOOKS, ids=os.path.basename)
def test_every_playbook_variable_is_documented_at_its_top(path):
    header = header_comment(path)
    inputs, _ = playbook_variables(path)
    missing = sorted(name for name in inputs if not re.search(r"\b{}\b".format(re.escape(name)), header))
    assert not missing, f"{rel(path)} reads {missing} but does not document them in its header comment"


def roles_included(path):
    """The collection's roles a playbook runs (include_role / import_role): their variables are its inputs too."""
    text = read(path)
    return set(re.findall(r"(?:include|import)_role:\s*\n\s*name:\s*mlops\.gitops\.(\w+)", text))


def test_docs_pass_playbooks_only_variables_they_read():
    inputs = {os.path.basename(p)[:-4]: playbook_variables(p)[0] | role_options_of(p)
              for p in PLAYBOOKS}
    wrong = []
    for doc in DOCS:
        for line in read(doc).splitlines():
            match = re.search(r"ansible-playbook mlops\.gitops\.(\w+)(.*)", line)
            if not match:
                continue
            playbook, rest = match.groups()
            assert playbook in inputs, f"{rel(doc)}: no playbook {playbook}: {line.strip()}"
            passed = re.findall(r"-e\s+(\w+)=", rest) + re.findall(r"-e\s+'\{\"(\w+)\"", rest)
            wrong += [f"{rel(doc)}: {name} ({line.strip()})" for name in passed if name not in inputs[playbook]]
    assert not wrong, "the docs pass variables the playbook never reads:\n" + "\n".join(wrong)


# -- names in the docs ----------------------------------------------------------------------------
def module_utils_constants():
    """Every string constant assigned at the top of a module_utils file."""
    values = set()
    for path in glob.glob(os.path.join(MODULE_UTILS, "*.py")):
        for node in ast.parse(read(path)).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                if isinstance(node.value.value, str):
                    values.add(node.value.value)
    return values


def test_every_mlops_dev_key_in_the_docs_is_defined_in_module_utils():
    constants = module_utils_constants()
    # a family of keys is a constant prefix ending in "-" (mlops.dev/triggers-<action>-<result>)
    families = tuple(c for c in constants if c.startswith("mlops.dev/") and c.endswith("-"))
    unknown = sorted({(key, rel(doc)) for doc in DOCS for key in KEY.findall(read(doc))
                      if key not in constants and key not in USER_KEYS and not (key + "-").startswith(families)})
    assert not unknown, ("docs name mlops.dev/ keys that no constant in plugins/module_utils defines "
                         "(a typo, or add it to USER_KEYS with why): {}".format(unknown))


def test_the_user_keys_are_still_named_in_the_docs():
    text = "\n".join(read(doc) for doc in DOCS)
    assert all(key in KEY.findall(text) for key in USER_KEYS), "remove what the docs no longer name from USER_KEYS"


def collection_names():
    modules = {os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))}
    tests = {os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "plugins", "test", "*.py"))}
    playbooks = {os.path.basename(p)[:-4] for p in PLAYBOOKS}
    groups = set(load(os.path.join(ROOT, "meta", "runtime.yml")).get("action_groups") or {})
    return modules | tests | playbooks | groups | set(ROLES)


def test_every_mlops_gitops_name_in_the_docs_exists():
    names = collection_names()
    # ansible_collections.mlops.gitops.plugins... is a Python import path, not a name of the collection's
    mentioned = r"(?<!ansible_collections\.)\bmlops\.gitops\.(\w+)"
    unknown = sorted({(name, rel(doc)) for doc in DOCS
                      for name in re.findall(mentioned, read(doc)) if name not in names})
    assert not unknown, f"docs name modules, roles or playbooks the collection does not have: {unknown}"


# CONTRIBUTING.md's worked example adds this setting (tests/unit/test_controller_settings.py runs it).
HYPOTHETICAL_SETTINGS = ("quiet_period",)


def test_every_role_variable_in_the_docs_is_a_role_option():
    unknown = set()
    for doc in DOCS + PLAYBOOKS:
        for name in re.findall(r"\b((?:{})_\w*[a-z])\b".format("|".join(ROLES)), read(doc)):
            role = role_of(name)
            if doc.endswith("CONTRIBUTING.md") and name.endswith(HYPOTHETICAL_SETTINGS):
                continue
            if role and name not in ROLES and name not in role_options(role):
                unknown.add((name, rel(doc)))
    assert not unknown, f"docs name role variables that no meta/argument_specs.yml has: {sorted(unknown)}"


def test_every_controller_setting_in_the_docs_exists():
    """NOTEBOOK_CONTROLLER_* as named in docs: an ENV of the Dockerfile that watches.yaml reads."""
    dockerfile = read(os.path.join(ROOT, "Dockerfile"))
    watches = read(os.path.join(ROOT, "watches.yaml"))
    settings = set(re.findall(r"\b(NOTEBOOK_CONTROLLER_[A-Z_]*[A-Z])=", dockerfile))
    assert settings and all("${" + s + "}" in watches for s in settings)
    setting = re.compile(r"\bNOTEBOOK_CONTROLLER_[A-Z_]*[A-Z]\b")
    named = {(name, rel(doc)) for doc in DOCS for name in setting.findall(read(doc))}
    hypothetical = tuple(s.upper() for s in HYPOTHETICAL_SETTINGS)
    unknown = sorted((name, doc) for name, doc in named if name not in settings
                     and not (doc == "CONTRIBUTING.md" and name.endswith(hypothetical)))
    assert not unknown, f"docs name controller settings the Dockerfile does not have: {unknown}"


# -- links and paths ------------------------------------------------------------------------------
@pytest.mark.parametrize("doc", DOCS, ids=rel)
def test_relative_links_and_repository_paths_exist(doc):
    text = read(doc)
    broken = []
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        path = os.path.normpath(os.path.join(os.path.dirname(doc), target.split("#")[0]))
        if not os.path.exists(path):
            broken.append(target)
    for target in REPO_PATH.findall(text):
        if re.search(r"[<>*{}$]|\.\.\.", target):
            continue  # a pattern, not a path
        if not os.path.exists(os.path.join(ROOT, target.rstrip("/").split(":")[0])):
            broken.append(target)
    assert not broken, f"{rel(doc)} points at files that do not exist: {broken}"


def test_readme_starts_with_the_two_commands():
    lines = read(os.path.join(ROOT, "README.md")).splitlines()
    block = lines[lines.index("```bash") + 1:]
    assert lines.index("```bash") <= 3, "README.md must open with the two commands"
    commands = [line.split("#")[0].strip() for line in block[: block.index("```")]]
    assert commands == ["make demo", "make test"]


# -- module options in the docs -------------------------------------------------------------------
def module_documentation(name):
    """A module's DOCUMENTATION with the options of this collection's doc fragments merged in, as ansible-doc
    shows it (kubernetes.core's auth options are left out: no table documents them)."""
    path = os.path.join(ROOT, "plugins", "modules", name + ".py")
    for node in ast.parse(read(path)).body:
        if isinstance(node, ast.Assign) and [t.id for t in node.targets] == ["DOCUMENTATION"]:
            doc = yaml.safe_load(node.value.value)
            break
    else:
        raise AssertionError(f"{rel(path)} has no DOCUMENTATION")
    doc["options"] = dict(doc.get("options") or {})
    for fragment in doc.get("extends_documentation_fragment") or []:
        if fragment.startswith("mlops.gitops."):
            doc["options"].update(fragment_options(fragment))
    return doc


def fragment_options(fragment):
    """Options of ``mlops.gitops.<file>[.<VARIABLE>]`` from plugins/doc_fragments/<file>.py."""
    parts = fragment.split(".")[2:]
    variable = parts[1].upper() if len(parts) > 1 else "DOCUMENTATION"
    path = os.path.join(ROOT, "plugins", "doc_fragments", parts[0] + ".py")
    for node in ast.walk(ast.parse(read(path))):
        if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] == [variable]:
            return yaml.safe_load(node.value.value).get("options") or {}
    raise AssertionError(f"{rel(path)} has no {variable}")


def option_tables():
    """(doc, module, [(names, default cell)]) for every table whose first header cell is ``option``; the
    module is the last ``mlops.gitops.<module>`` named before the table."""
    modules = {os.path.basename(p)[:-3] for p in glob.glob(os.path.join(ROOT, "plugins", "modules", "*.py"))}
    for doc in DOCS:
        lines = read(doc).splitlines()
        for index, line in enumerate(lines):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if not line.startswith("|") or cells[0] != "option" or lines[index - 1].startswith("|"):
                continue
            before = "\n".join(lines[:index])
            named = [m for m in re.findall(r"mlops\.gitops\.(\w+)", before) if m in modules]
            assert named, f"{rel(doc)}:{index + 1}: an option table with no module named before it"
            has_default = len(cells) > 1 and cells[1] == "default"
            rows = []
            for row in lines[index + 2:]:
                if not row.startswith("|"):
                    break
                row_cells = [c.strip() for c in row.strip().strip("|").split("|")]
                rows.append((re.findall(r"`(\w+)`", row_cells[0]), row_cells[1] if has_default else None))
            yield doc, named[-1], rows


def test_option_tables_in_the_docs_match_the_modules():
    tables = list(option_tables())
    assert tables, "no option table found: the test no longer reads the docs"
    wrong = []
    for doc, module, rows in tables:
        options = module_documentation(module)["options"]
        for names, default in rows:
            for name in names:
                if name not in options:
                    wrong.append(f"{rel(doc)}: {module} has no option {name}")
                elif default and default.startswith("`") and yaml.safe_load(default.strip("`")) != options[name].get(
                        "default"):
                    wrong.append(f"{rel(doc)}: {module} {name} defaults to {options[name].get('default')!r}, "
                                 f"not {default}")
    assert not wrong, "\n".join(wrong)


def test_architecture_names_every_module_utils_file():
    text = read(os.path.join(ROOT, "docs", "architecture.md"))
    missing = sorted(os.path.basename(p) for p in glob.glob(os.path.join(MODULE_UTILS, "*.py"))
                     if os.path.basename(p) != "__init__.py" and os.path.basename(p) not in text)
    assert not missing, f"docs/architecture.md does not name {missing}"


# -- issue 22 finding 10 --------------------------------------------------------------------------------------------
INSTALL_COMMAND = re.compile(r"ansible-playbook mlops\.gitops\.install((?:[^\n`\\]|\\\n)*)")


def test_every_install_controller_example_passes_the_image_it_needs():
    """There is no published controller image: an example that deploys the controller without
    notebook_controller_deploy_image fails at the deploy role's first check."""
    readmes = sorted(glob.glob(os.path.join(ROOT, "roles", "*", "README.md")))
    examples = []
    for path in DOCS + readmes:
        for match in INSTALL_COMMAND.finditer(read(path)):
            if re.search(r"install_controller=(true|yes|1)\b", match.group(1)):
                examples.append((rel(path), match.group(0)))
    assert examples  # README and quickstart show one
    assert [e for e in examples if "notebook_controller_deploy_image=" not in e[1]] == []


def test_awx_asks_the_wait_only_for_the_rights_it_uses():
    """The wait lists and watches NotebookValidationJobs and reads no Application (its Application selection
    reads the jobs' own tracking id and labels); tests/integration/test_wait_deadline.py runs it with these rights."""
    assert rbac.awx_wait_rights() == (["list", "watch"], ["notebookvalidationjobs"])
