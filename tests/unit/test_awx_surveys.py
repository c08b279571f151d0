"""The AWX survey specs under docs/awx are valid survey_spec documents, and every question sets a
variable that its playbook reads and documents."""

import glob
import json
import os

import jinja2
import jinja2.nodes
import pytest
import yaml

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SURVEYS = sorted(glob.glob(os.path.join(ROOT, "docs", "awx", "*.survey.json")))
# AWX's survey question types (awx/main/models/mixins.py SurveyJobTemplateMixin).
AWX_TYPES = {"text", "textarea", "password", "integer", "float", "multiplechoice", "multiselect"}
QUESTION_KEYS = {"question_name", "question_description", "required", "type", "variable", "default",
                 "choices", "min", "max", "new_question"}
# Keywords whose values are bare Jinja expressions rather than templates.
EXPRESSION_KEYS = {"when", "that", "failed_when", "changed_when", "until"}


def playbook_for(survey_path):
    name = os.path.basename(survey_path)[: -len(".survey.json")]
    return os.path.join(ROOT, "playbooks", name + ".yml")


def variables_read(node, env, key=None, found=None):
    """Every variable name a playbook's templates and conditions reference."""
    found = set() if found is None else found
    if isinstance(node, dict):
        for k, v in node.items():
            variables_read(v, env, k, found)
    elif isinstance(node, list):
        for item in node:
            variables_read(item, env, key, found)
    elif isinstance(node, str):
        source = "{{ " + node + " }}" if key in EXPRESSION_KEYS else node
        tree = env.parse(source)
        found |= {n.name for n in tree.find_all(jinja2.nodes.Name) if n.ctx == "load"}
        found |= {name for name in vars_lookups(tree)}
    return found


def vars_lookups(tree):
    """Names read as ``lookup('ansible.builtin.vars', 'name')`` (how a playbook reads a variable that
    shadows a Jinja global, such as ``namespace``)."""
    for call in tree.find_all(jinja2.nodes.Call):
        args = [a.value for a in call.args if isinstance(a, jinja2.nodes.Const)]
        if getattr(call.node, "name", None) == "lookup" and args[:1] in (["vars"], ["ansible.builtin.vars"]):
            yield from args[1:]


def header_comment(path):
    lines = []
    with open(path) as handle:
        for line in handle:
            if line.startswith("#") or line.strip() == "---":
                lines.append(line)
            else:
                break
    return "".join(lines)


def choices_of(question):
    choices = question.get("choices", [])
    return choices.split("\n") if isinstance(choices, str) else list(choices)


@pytest.mark.parametrize("path", SURVEYS, ids=os.path.basename)
def test_survey_is_a_valid_awx_survey_spec(path):
    with open(path) as handle:
        survey = json.load(handle)
    assert set(survey) == {"name", "description", "spec"}
    assert survey["name"] and isinstance(survey["spec"], list) and survey["spec"]
    variables = [q["variable"] for q in survey["spec"]]
    assert len(variables) == len(set(variables)), "a variable is asked twice"
    for question in survey["spec"]:
        assert set(question) <= QUESTION_KEYS, question
        assert {"question_name", "variable", "type", "required", "default"} <= set(question), question
        assert question["type"] in AWX_TYPES, question
        assert isinstance(question["required"], bool)
        default = question["default"]
        if question["type"] in ("multiplechoice", "multiselect"):
            choices = choices_of(question)
            assert choices and all(isinstance(c, str) and c for c in choices), question
            picked = [d for d in default.split("\n") if d] if question["type"] == "multiselect" else [default]
            assert all(d in choices for d in picked if d), question
        elif question["type"] == "integer":
            assert default == "" or isinstance(default, int), question
            assert isinstance(question.get("min", 0), int) and isinstance(question.get("max", 0), int)
        elif question["type"] in ("text", "textarea", "password"):
            assert isinstance(default, str), question
            assert len(default) <= question.get("max", 1024)


@pytest.mark.parametrize("path", SURVEYS, ids=os.path.basename)
def test_every_survey_variable_is_read_and_documented_by_its_playbook(path):
    playbook = playbook_for(path)
    if not os.path.exists(playbook):
        pytest.fail(f"{os.path.basename(path)} has no playbook {os.path.relpath(playbook, ROOT)}")
    with open(playbook) as handle:
        plays = yaml.safe_load(handle)
    env = jinja2.Environment()
    read = set()
    for play in plays:
        read |= variables_read(play, env)
        read |= set(play.get("vars") or {})
    documented = header_comment(playbook)
    with open(path) as handle:
        survey = json.load(handle)
    for question in survey["spec"]:
        variable = question["variable"]
        assert variable in read, (
            f"{os.path.basename(path)} asks for {variable!r}, which {os.path.basename(playbook)} never reads")
        assert variable in documented, (
            f"{os.path.basename(playbook)} does not document {variable!r} at its top")


def test_every_playbook_with_a_job_template_has_a_survey():
    for name in ("install", "reconcile", "uninstall", "wait_for_wave"):
        if os.path.exists(os.path.join(ROOT, "playbooks", name + ".yml")):
            assert os.path.exists(os.path.join(ROOT, "docs", "awx", name + ".survey.json")), name


@pytest.mark.parametrize("survey, variable, expected", [
    ("install", "argocd_target", "argocd_config.TARGETS"),
    ("uninstall", "argocd_target", "argocd_config.TARGETS"),
    ("reconcile", "features", "reconcile.FEATURES"),
])
def test_a_survey_offers_the_values_as_the_collection_spells_them(survey, variable, expected):
    """Issue 24: one spelling of each value (the install target cr, the features named after their modules), in the
    surveys too: a survey's choices are the definition's values, without a former spelling."""
    from ansible_collections.mlops.gitops.plugins.module_utils import argocd_config, reconcile

    values = {"argocd_config.TARGETS": argocd_config.TARGETS, "reconcile.FEATURES": reconcile.FEATURES}[expected]
    with open(os.path.join(ROOT, "docs", "awx", survey + ".survey.json")) as handle:
        [question] = [q for q in json.load(handle)["spec"] if q["variable"] == variable]
    assert choices_of(question) == list(values)
