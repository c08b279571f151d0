"""Variables as AWX surveys and ``-e k=v`` send them, as text (plugins/module_utils/variables.py and the action
mlops.gitops.role_variables): lists, booleans and numbers are converted to what the role declares, and what the
controller would refuse is refused at once, naming the variable."""

import os
import re

import pytest
import yaml
from ansible_collections.mlops.gitops.plugins.action import role_variables
from ansible_collections.mlops.gitops.plugins.module_utils import reconcile, variables

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
DEPLOY = os.path.join(ROOT, "roles", "notebook_controller_deploy")
SPEC = role_variables.role_spec(DEPLOY, "main")
with open(os.path.join(DEPLOY, "tasks", "validate.yml")) as _handle:
    [CHECK] = [t["mlops.gitops.role_variables"] for t in yaml.safe_load(_handle) if "mlops.gitops.role_variables" in t]
with open(os.path.join(DEPLOY, "defaults", "main.yml")) as _handle:
    DEFAULTS = yaml.safe_load(_handle)
PREFIX = "notebook_controller_deploy_"


def deploy_check(**given):
    """The role's check on its defaults with ``given`` (short names) set as AWX or -e would set them."""
    values = dict(DEFAULTS, **dict((PREFIX + k, v) for k, v in given.items()))
    return role_variables.check(SPEC, values, CHECK["formats"], CHECK["reconcile_options"])


@pytest.mark.parametrize("text, expected", [
    ("a,b", ["a", "b"]), (" a , b ,", ["a", "b"]), ("waves\nstatus", ["waves", "status"]), ("a b", ["a", "b"]),
    ("*", ["*"]), ("", []), (" , ", []), (None, []), (["a", "b"], ["a", "b"]),
])
def test_a_list_from_survey_text(text, expected):
    assert variables.text_list(text) == expected


def test_the_deploy_role_reads_the_former_feature_names_as_the_new_ones_with_a_warning():
    """Issue 24: the features are named after their modules (wave, event, trigger, status); the former plural names
    are still accepted by the deploy role, written to the Deployment as the new ones, with one deprecation warning
    that names the variable and the new values."""
    deprecations = []
    values, errors = role_variables.check(SPEC, dict(DEFAULTS, **{PREFIX + "features": "waves, events\nstatus"}),
                                          CHECK["formats"], CHECK["reconcile_options"], deprecations)
    assert errors == [] and values[PREFIX + "features"] == ["wave", "event", "status"]
    assert deprecations == [PREFIX + "features: 'waves', 'events' are deprecated; set 'wave', 'event' instead"]
    deprecations = []
    values, errors = role_variables.check(SPEC, dict(DEFAULTS, **{PREFIX + "features": "wave,status"}),
                                          CHECK["formats"], CHECK["reconcile_options"], deprecations)
    assert (errors, values[PREFIX + "features"], deprecations) == ([], ["wave", "status"], [])


def test_the_deploy_role_turns_survey_text_into_the_values_its_templates_need():
    values, errors = deploy_check(watch_namespaces="team-a, team-b", allowed_namespaces="*",
                                  create_namespace="false", min_interval="30", features="wave\nstatus",
                                  max_concurrent_reconciles="4", resources='{"limits": {"cpu": "2"}}')
    assert errors == []
    assert values[PREFIX + "watch_namespaces"] == ["team-a", "team-b"]  # not the characters of the text
    assert values[PREFIX + "allowed_namespaces"] == ["*"]
    assert values[PREFIX + "create_namespace"] is False  # a bool, which ansible-core 2.19 takes in `when`
    assert values[PREFIX + "min_interval"] == 30 and values[PREFIX + "max_concurrent_reconciles"] == 4
    assert values[PREFIX + "features"] == ["wave", "status"]
    assert values[PREFIX + "resources"] == {"limits": {"cpu": "2"}}
    assert deploy_check(allowed_namespaces="serving,models")[0][PREFIX + "allowed_namespaces"] == ["serving", "models"]


@pytest.mark.parametrize("given, named, why", [
    ({"min_interval": "-5"}, "min_interval", "must be an integer >= 0"),
    ({"running_requeue_max": -1}, "running_requeue_max", "must be an integer >= 0"),
    ({"min_interval": "soon"}, "min_interval", "unable to convert to int"),
    ({"reconcile_period": "soon"}, "reconcile_period", "Go duration"),
    ({"reconcile_period": "0"}, "reconcile_period", "Go duration"),
    ({"reconcile_period": "-5m"}, "reconcile_period", "Go duration"),
    ({"create_namespace": "maybe"}, "create_namespace", "not a valid boolean"),
    ({"watch_namespaces": "team-a, Team-B"}, "watch_namespaces", "'Team-B'"),
    ({"allowed_namespaces": "a;b"}, "allowed_namespaces", "'a;b' not a namespace name"),
    ({"argocd_namespace": "Argo CD"}, "argocd_namespace", "must name the Argo CD namespace"),
    ({"trigger_annotation": "my trigger"}, "trigger_annotation", "annotation key"),
    ({"features": "wave, sync"}, "features", "sync"),
    ({"namespace": "ctl_ns"}, "namespace", "namespace name"),
    ({"name": "Controller"}, "name", "starts with a letter"),
    ({"max_concurrent_reconciles": "0"}, "max_concurrent_reconciles", "greater than 0"),
    ({"state": "gone"}, "state", "present, absent"),
    ({"image_pull_policy": "always"}, "image_pull_policy", "Always"),
])
def test_the_deploy_role_refuses_what_the_controller_could_not_use_naming_the_variable(given, named, why):
    _values, errors = deploy_check(**given)
    assert len(errors) == 1, errors
    assert PREFIX + named in errors[0] and why in errors[0], errors


def test_every_problem_is_reported_at_once():
    _values, errors = deploy_check(min_interval="-5", reconcile_period="soon", watch_namespaces="A")
    assert len(errors) == 3 and all(PREFIX + n in " ".join(errors) for n in ("min_interval", "reconcile_period",
                                                                             "watch_namespaces"))


def test_the_controller_settings_are_checked_as_the_reconcile_checks_its_options():
    """Each NOTEBOOK_CONTROLLER_<X> the Deployment passes to a reconcile option <x> is checked with that option's
    rules (reconcile.OPTION_SPEC and option_errors), and declared with the same type by the role."""
    with open(os.path.join(DEPLOY, "templates", "deployment.yaml.j2")) as handle:
        env = re.findall(r"name: NOTEBOOK_CONTROLLER_(\w+), value: \"?\{\{ settings\.", handle.read())
    passed = set(name.lower() for name in env)
    options = set(role_variables.RECONCILE_SPEC) & passed
    assert options >= {"min_interval", "allowed_namespaces", "features", "argocd_namespace", "trigger_annotation"}
    assert CHECK["reconcile_options"] == dict((PREFIX + o, o) for o in sorted(options))
    for option in options:
        declared = role_variables.RECONCILE_SPEC[option]["type"]
        assert SPEC[PREFIX + option]["type"] == {"path": "str"}.get(declared, declared), option


def test_the_reconcile_module_splits_its_lists_from_text_too():
    spec = {"namespaces": {"type": "list", "elements": "str"}, "name": {"type": "str"}}
    assert variables.with_lists_from_text(spec, {"namespaces": " a, b\n", "name": "x,y"}) == {
        "namespaces": ["a", "b"], "name": "x,y"}
    assert reconcile.option_errors({"namespaces": []}) == [
        "namespaces is empty: name the namespaces whose NotebookValidationJobs to reconcile (or '*' for all), "
        "as a list or comma-separated"]
    assert reconcile.option_errors({"namespaces": ["*"], "allowed_namespaces": ["*"], "argocd_namespace": "argocd",
                                    "trigger_annotation": "mlops.dev/on-success-trigger"}) == []


@pytest.mark.parametrize("value, expected, warning", [
    ("argocd_cr", "cr", "target: 'argocd_cr' is deprecated; set 'cr' instead"),
    ("cr", "cr", None),
    ("auto", "auto", None),
    (None, None, None),
    (["waves", "status"], ["wave", "status"], "target: 'waves' is deprecated; set 'wave' instead"),
    (["wave", "waves", "events"], ["wave", "event"], "target: 'waves', 'events' are deprecated; set 'wave', 'event' "
                                                     "instead"),
])
def test_a_former_spelling_is_read_as_the_new_one_with_a_warning(value, expected, warning):
    """Issue 24: a renamed value keeps working, read as its new spelling (a list keeps each value once), and the
    warning names the variable, the old and the new value."""
    renames = {"argocd_cr": "cr", "waves": "wave", "events": "event"}
    assert variables.renamed_value("target", value, renames) == (expected, warning)
