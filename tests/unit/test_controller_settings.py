"""harness/controller_settings.py: the controller's settings come from roles/notebook_controller/meta/argument_specs.yml
alone. The generated places are current, a new setting reaches every one of them, and a value set on the deploy
role arrives unchanged in the role's variable through the chain the image runs: the Deployment's env, the
Dockerfile's ENV under it, watches.yaml's ${VARS} (expanded as ansible-operator does) and YAML."""

import copy
import re

import pytest
import yaml

from harness.controller_config import render_template
from harness.real_operator import dockerfile_env
from harness import controller_settings as cs


def test_every_generated_place_is_current():
    stale = [str(path.relative_to(cs.REPO)) for path, text in cs.files().items() if path.read_text() != text]
    assert not stale, "stale against roles/notebook_controller/meta/argument_specs.yml (run `make config`): {}".format(
        stale)


def settings_with_new_option():
    options = copy.deepcopy(cs.role_options(cs.CONTROLLER))
    options["notebook_controller_quiet_period"] = {
        "description": "Seconds a finished job's Application is left alone (I(notebook_controller_min_interval)).",
        "type": "int", "default": 5}
    reconcile = dict(cs.reconcile_options(), quiet_period={"type": "int"})
    return cs.Settings(options, reconcile)


def test_a_new_setting_reaches_every_place_from_the_argument_spec_alone():
    """The worked example of CONTRIBUTING.md: one option added to the argument spec (and the reconcile's own
    options), and every generated place names it, with its default where the place has one."""
    places = dict((path.relative_to(cs.REPO).as_posix(), body) for path, (_c, body) in
                  cs.generated(settings_with_new_option()).items())
    assert "notebook_controller_quiet_period: 5" in places["roles/notebook_controller/defaults/main.yml"]
    tasks = places["roles/notebook_controller/tasks/main.yml"]
    assert 'quiet_period: "{{ notebook_controller_quiet_period }}"' in tasks
    assert "NOTEBOOK_CONTROLLER_QUIET_PERIOD=5" in places["Dockerfile"]
    assert "notebook_controller_quiet_period: ${NOTEBOOK_CONTROLLER_QUIET_PERIOD}" in places["watches.yaml"]
    spec = places["roles/notebook_controller_deploy/meta/argument_specs.yml"]
    assert "notebook_controller_deploy_quiet_period:" in spec
    assert "I(notebook_controller_deploy_min_interval)" in spec  # references renamed for the deploy role
    assert "notebook_controller_deploy_quiet_period: 5" in places["roles/notebook_controller_deploy/defaults/main.yml"]
    assert ("notebook_controller_deploy_quiet_period: quiet_period"
            in places["roles/notebook_controller_deploy/tasks/validate.yml"])
    assert ('{name: NOTEBOOK_CONTROLLER_QUIET_PERIOD, value: "{{ settings.quiet_period }}"}'
            in places["roles/notebook_controller_deploy/templates/deployment.yaml.j2"])


def test_a_setting_the_image_fixes_is_not_a_deploy_setting():
    settings = cs.Settings(cs.role_options(cs.CONTROLLER), cs.reconcile_options())
    for name in cs.IMAGE_FIXED:
        assert name not in settings.deployed() and name in settings.image()
    for name in cs.JOB_SETTINGS:
        assert name not in settings.image() and name not in settings.passed()
    assert "api" not in settings.passed()  # not an option of notebook_reconcile: the role maps it to kubeconfig


def test_a_setting_the_generator_does_not_know_is_refused():
    options = dict(cs.role_options(cs.CONTROLLER))
    del options["notebook_controller_api"]
    with pytest.raises(ValueError, match="api"):
        cs.Settings(options, cs.reconcile_options())


def expand(text, env):
    """watches.yaml as ansible-operator reads it: each ${VAR} replaced from the environment, then YAML."""
    return yaml.safe_load(re.sub(r"\$\{(\w+)\}", lambda m: env.get(m.group(1), ""), text))[0]


def image_env(overrides=None):
    """The manager container's environment: the Dockerfile's ENV, then the Deployment's env (rendered)."""
    env = dockerfile_env()
    [deployment] = render_template("deployment.yaml.j2", dict({"notebook_controller_deploy_image": "x"},
                                                              **(overrides or {})))
    env.update((e["name"], e["value"]) for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"])
    return env


@pytest.mark.parametrize("overrides", [
    {},
    {"notebook_controller_deploy_allowed_namespaces": "ml-a, ml-b", "notebook_controller_deploy_poll_state": "",
     "notebook_controller_deploy_features": "waves,status", "notebook_controller_deploy_min_interval": "0",
     "notebook_controller_deploy_trigger_annotation": "gitops.mlops.dev/on-success-trigger",
     "notebook_controller_deploy_argocd_namespace": "openshift-gitops"},
    {"notebook_controller_deploy_allowed_namespaces": "*", "notebook_controller_deploy_running_requeue": 0},
], ids=["defaults", "survey-text", "any-namespace"])
def test_a_deploy_setting_arrives_unchanged_in_the_controller_role(overrides):
    from harness.controller_config import role_variables

    settings = role_variables(overrides)["notebook_controller_deploy_checked"]["settings"]
    watched = expand((cs.REPO / "watches.yaml").read_text(), image_env(overrides))
    image = cs.Settings(cs.role_options(cs.CONTROLLER), cs.reconcile_options())
    assert watched["reconcilePeriod"] == settings["reconcile_period"]
    for name in image.image():
        want = cs.IMAGE_FIXED[name] if name in cs.IMAGE_FIXED else settings[name]
        assert watched["vars"][cs.ROLE_PREFIX + name] == want, name
    for name in cs.JOB_SETTINGS:
        assert watched["vars"][cs.ROLE_PREFIX + name] == ""


def test_the_image_defaults_are_the_settings_the_deploy_role_defaults_to():
    """Without the Deployment (docker run), the Dockerfile's ENV gives what the deploy role would have set."""
    from harness.controller_config import role_variables

    watched = expand((cs.REPO / "watches.yaml").read_text(), dockerfile_env())
    settings = role_variables()["notebook_controller_deploy_checked"]["settings"]
    for name in cs.Settings(cs.role_options(cs.CONTROLLER), cs.reconcile_options()).deployed():
        assert watched["vars"][cs.ROLE_PREFIX + name] == settings[name], name
