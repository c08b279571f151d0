"""The controller's API rights, as the unit tests (the rendered roles) and the integration tests (the
ClusterRole the deploy role creates on a cluster) check them; and the installer's Role, read from docs/awx.md
(where it is defined, once) for the tests that run the install and uninstall playbooks with exactly it; and the
rights docs/awx.md asks for the wait."""

import pathlib
import re

import yaml

AWX_DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "awx.md"

# What each step of the controller does to the API: (apiGroup, resource, verb, who). Keep in step
# with the code; the ClusterRole must grant exactly these (least privilege), nothing more.
USED = [
    ("mlops.mlops.dev", "notebookvalidationjobs", "get", "every step reads the job fresh"),
    ("mlops.mlops.dev", "notebookvalidationjobs", "list", "status aggregates a namespace; ansible-operator's informer"),
    ("mlops.mlops.dev", "notebookvalidationjobs", "watch", "ansible-operator's informer"),
    ("mlops.mlops.dev", "notebookvalidationjobs", "patch", "waves markers, triggers record"),
    ("", "events", "get", "events.record reads before creating"),
    ("", "events", "create", "completion Event, trigger Events"),
    ("argoproj.io", "applications", "get", "status, completion Event labels, trigger sync/refresh"),
    ("argoproj.io", "applications", "list", "status: namespace reconcile, Applications whose jobs are gone"),
    ("argoproj.io", "applications", "patch", "status annotations, sync operation, refresh annotation"),
    ("serving.kserve.io", "inferenceservices", "get", "trigger restart/rollout/refresh"),
    ("serving.kserve.io", "inferenceservices", "patch", "trigger rollout/refresh"),
    ("", "pods", "list", "trigger restart of an InferenceService"),
    ("", "pods", "delete", "trigger restart of an InferenceService"),
    ("apps", "deployments", "get", "trigger restart/refresh"),
    ("apps", "deployments", "patch", "trigger restart/refresh"),
    ("apps", "statefulsets", "get", "trigger restart/refresh"),
    ("apps", "statefulsets", "patch", "trigger restart/refresh"),
    ("apps", "daemonsets", "get", "trigger restart/refresh"),
    ("apps", "daemonsets", "patch", "trigger restart/refresh"),
    ("", "namespaces", "get", "trigger target namespace opt-in"),
]
LEADER = [("coordination.k8s.io", "leases", v, "leader election") for v in ("get", "create", "update")] + [
    ("", "events", v, "leader election events") for v in ("create", "patch")
]


def rights(used):
    """``{(apiGroup, resource, verb)}`` of a list like ``USED`` (without the reasons)."""
    return {(group, resource, verb) for group, resource, verb, _why in used}


def granted(rules):
    """``{(apiGroup, resource, verb)}`` that RBAC ``rules`` grant."""
    return {(g, r, v) for rule in rules for g in rule["apiGroups"] for r in rule["resources"] for v in rule["verbs"]}


def installer_role():
    """The installer's Role as docs/awx.md gives it (the YAML block of ``kind: Role``)."""
    blocks = re.findall(r"```yaml\n(.*?)```", AWX_DOC.read_text(), re.S)
    docs = [yaml.safe_load(block) for block in blocks]
    roles = [doc for doc in docs if isinstance(doc, dict) and doc.get("kind") == "Role"]
    assert len(roles) == 1, "docs/awx.md must hold exactly one Role: the installer's"
    return roles[0]


def awx_wait_rights():
    """``(verbs, resources)`` docs/awx.md asks for the "wait for wave" job template's credential."""
    entry = re.search(r"- \*\*wait for wave\*\*: (.*?)(?=\n- |\n\n)", AWX_DOC.read_text(), re.S).group(1)
    quoted = re.findall(r"`([^`]+)`", entry)
    return quoted[0].split(", "), quoted[1:]
