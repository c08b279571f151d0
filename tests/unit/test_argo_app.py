"""Parent Application lookup, one data file per case (tests/data/parent_cases/*.yaml)."""

import pathlib

import pytest
import yaml

from ansible_collections.mlops.gitops.plugins.module_utils import argo_app

CASES = sorted((pathlib.Path(__file__).parents[1] / "data" / "parent_cases").glob("*.yaml"))


def test_there_are_cases():
    assert len(CASES) >= 15


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_parent_case(path):
    case = yaml.safe_load(path.read_text())
    control = case.get("controlNamespace", argo_app.DEFAULT_ARGOCD_NAMESPACE)
    assert argo_app.find_parent(case["object"], control) == case["expected"], case["description"]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("app:/ConfigMap:ns/cm", {"app": "app", "group": "", "kind": "ConfigMap", "namespace": "ns", "name": "cm"}),
        ("app:rbac.authorization.k8s.io/ClusterRole:/admin",
         {"app": "app", "group": "rbac.authorization.k8s.io", "kind": "ClusterRole", "namespace": "", "name": "admin"}),
        ("app:g/K:ns/a/b", None),
        ("app:g/K:ns", None),
        ("app:gK:ns/n", None),
        ("app:g/:ns/n", None),
        ("app:g/K:ns/", None),
        ("a:b:c:d", None),
        (None, None),
        (42, None),
    ],
)
def test_parse_tracking_id(value, expected):
    assert argo_app.parse_tracking_id(value) == expected


def test_cluster_scoped_object_accepts_any_namespace_in_tracking_id():
    obj = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "admin",
           "annotations": {"argocd.argoproj.io/tracking-id": "app:rbac.authorization.k8s.io/ClusterRole:/admin"}}}
    assert argo_app.find_parent(obj, "gitops") == {"namespace": "gitops", "name": "app", "source": "tracking-id"}


@pytest.mark.parametrize("value", ["model-app\n", "team\n_model-app", "team_model-app\n", "\nmodel-app"])
def test_app_names_are_matched_whole(value):
    """"$" accepts a trailing newline; an Application name never contains one."""
    assert argo_app.parse_app_name(value) is None
