"""The ansible-operator packaging: watches.yaml, the Dockerfile's defaults, requirements.yml, and the
controller's ClusterRole against the verbs each step uses."""

import re
from pathlib import Path

import yaml

from harness.rbac import LEADER, USED, granted, rights

REPO = Path(__file__).resolve().parents[2]
ROLE = REPO / "roles" / "notebook_controller"
DEPLOY = REPO / "roles" / "notebook_controller_deploy"


def watch():
    entries = yaml.safe_load((REPO / "watches.yaml").read_text())
    assert len(entries) == 1
    return entries[0]


def test_watch_maps_the_nvj_to_the_collection_role():
    w = watch()
    assert (w["group"], w["version"], w["kind"]) == ("mlops.mlops.dev", "v1alpha1", "NotebookValidationJob")
    assert w["role"] == "mlops.gitops.notebook_controller"
    assert (ROLE / "tasks" / "main.yml").is_file()
    assert w["manageStatus"] is False and w["watchDependentResources"] is False
    assert "finalizer" not in w and "playbook" not in w
    assert w["reconcilePeriod"] and w["markUnsafe"] is True


def test_every_role_option_is_pinned_by_the_watch_vars():
    """Watch vars are applied after the job's spec fields: anything the role reads but the watch does not
    set could be overridden by whoever writes an NVJ spec."""
    options = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]["options"]
    assert set(options) == set(watch()["vars"])
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    assert set(defaults) == set(options)


def test_every_watch_variable_has_a_dockerfile_default_that_parses():
    text = (REPO / "watches.yaml").read_text()
    wanted = set(re.findall(r"\$\{(\w+)\}", text))
    env_block = (REPO / "Dockerfile").read_text().split("\nENV ", 1)[1]
    defaults = dict(re.findall(r"([A-Z_]+)=(\S+?)\s*(?:\\|$)", env_block, re.M))
    assert wanted <= set(defaults), wanted - set(defaults)
    expanded = yaml.safe_load(re.sub(r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], text))[0]
    assert expanded["vars"]["notebook_controller_features"] == ["wave", "event", "trigger", "status"]
    assert expanded["vars"]["notebook_controller_allowed_namespaces"] == []
    assert expanded["vars"]["notebook_controller_min_interval"] == 60


def test_dockerfile_pins_the_base_and_installs_the_collection():
    text = (REPO / "Dockerfile").read_text()
    bases = re.findall(r"^FROM (\S+)", text, re.M)
    assert bases and all(re.match(r"quay\.io/operator-framework/ansible-operator:v1\.\d+\.\d+$", b) for b in bases)
    assert "requirements.yml" in text and "mlops-gitops-*.tar.gz" in text and "watches.yaml" in text


def test_requirements_name_the_collections_the_controller_uses():
    names = [c["name"] for c in yaml.safe_load((REPO / "requirements.yml").read_text())["collections"]]
    assert names == ["kubernetes.core"]  # the requeue and the metrics are the collection's own


def test_cluster_role_grants_exactly_what_the_steps_use():
    perms = yaml.safe_load((DEPLOY / "vars" / "main.yml").read_text())
    assert granted(perms["notebook_controller_deploy_permissions"]) == rights(USED)
    assert granted(perms["notebook_controller_deploy_leader_permissions"]) == rights(LEADER)


def test_operator_doc_lists_every_permission():
    doc = (REPO / "docs" / "operator.md").read_text()
    for _group, resource, verb, _ in USED:
        row = [line for line in doc.splitlines() if line.startswith("| `{}`".format(resource))]
        assert row and "`{}`".format(verb) in row[0], (resource, verb)
