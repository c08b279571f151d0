"""Discovery: /version, /api, /api/v1, /apis, /apis/<group>/<version> as the real apiserver serves them."""

import pytest
from kube_contract import raw

CRD_KINDS = [
    ("mlops.mlops.dev/v1alpha1", "NotebookValidationJob", "notebookvalidationjobs", True),
    ("argoproj.io/v1alpha1", "Application", "applications", False),
    ("argoproj.io/v1alpha1", "AppProject", "appprojects", False),
    ("argoproj.io/v1beta1", "ArgoCD", "argocds", True),
    ("argoproj.io/v1alpha1", "NotificationsConfiguration", "notificationsconfigurations", True),
    ("serving.kserve.io/v1beta1", "InferenceService", "inferenceservices", True),
]
BUILTIN_KINDS = [
    ("v1", "Namespace"), ("v1", "Pod"), ("v1", "ConfigMap"), ("v1", "Secret"), ("v1", "Event"),
    ("v1", "ServiceAccount"), ("v1", "Service"), ("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"),
    ("apps/v1", "DaemonSet"), ("apps/v1", "ReplicaSet"), ("events.k8s.io/v1", "Event"),
    ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole"), ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("batch/v1", "Job"), ("coordination.k8s.io/v1", "Lease"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition"),
]


def test_version(cluster):
    code, body = raw(cluster, "GET", "/version")
    assert code == 200
    assert body["major"] == "1" and body["gitVersion"].startswith("v1.")


def test_api_versions(cluster):
    code, body = raw(cluster, "GET", "/api")
    assert code == 200
    assert body["kind"] == "APIVersions" and body["versions"] == ["v1"]


def test_core_resource_list_has_subresources_and_metadata(cluster):
    code, body = raw(cluster, "GET", "/api/v1")
    assert code == 200
    assert body["kind"] == "APIResourceList" and body["groupVersion"] == "v1"
    by_name = {r["name"]: r for r in body["resources"]}
    pods = by_name["pods"]
    assert pods["namespaced"] is True and pods["kind"] == "Pod" and pods["singularName"] == "pod"
    assert "po" in pods["shortNames"]
    assert set(pods["verbs"]) >= {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
    assert by_name["pods/eviction"]["verbs"] == ["create"]
    assert by_name["pods/eviction"]["kind"] == "Eviction" and by_name["pods/eviction"]["group"] == "policy"
    assert set(by_name["pods/status"]["verbs"]) == {"get", "patch", "update"}
    assert "namespaces/status" in by_name
    assert by_name["namespaces"]["namespaced"] is False
    assert by_name["configmaps"]["shortNames"] == ["cm"]


def test_group_list_has_preferred_versions(cluster):
    code, body = raw(cluster, "GET", "/apis")
    assert code == 200 and body["kind"] == "APIGroupList"
    groups = {g["name"]: g for g in body["groups"]}
    for name in ("apps", "batch", "rbac.authorization.k8s.io", "events.k8s.io", "coordination.k8s.io",
                 "apiextensions.k8s.io", "mlops.mlops.dev", "argoproj.io", "serving.kserve.io"):
        assert name in groups, name
        assert groups[name]["preferredVersion"]["groupVersion"].startswith(name + "/")
    argo_versions = {v["version"] for v in groups["argoproj.io"]["versions"]}
    assert {"v1alpha1", "v1beta1"} <= argo_versions


@pytest.mark.parametrize("api_version,kind,plural,status", CRD_KINDS)
def test_crd_group_version_resources(cluster, api_version, kind, plural, status):
    code, body = raw(cluster, "GET", f"/apis/{api_version}")
    assert code == 200 and body["groupVersion"] == api_version
    by_name = {r["name"]: r for r in body["resources"]}
    assert by_name[plural]["kind"] == kind and by_name[plural]["namespaced"] is True
    assert (f"{plural}/status" in by_name) is status


def test_isvc_short_name(cluster):
    _, body = raw(cluster, "GET", "/apis/serving.kserve.io/v1beta1")
    assert {r["name"]: r for r in body["resources"]}["inferenceservices"]["shortNames"] == ["isvc"]


def test_aggregated_discovery_accept_falls_back_to_legacy(cluster):
    accept = ("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
              "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json")
    code, body = raw(cluster, "GET", "/apis", headers={"Accept": accept})
    assert code == 200 and body["kind"] == "APIGroupList"


def test_unknown_resource_path_is_404_status(cluster):
    code, body = raw(cluster, "GET", "/apis/mlops.mlops.dev/v1alpha1/namespaces/default/nothings")
    assert code == 404
    assert body["kind"] == "Status" and body["reason"] == "NotFound"
    assert body["message"] == "the server could not find the requested resource"
    code, _ = raw(cluster, "GET", "/apis/nope.example.com/v1")
    assert code == 404


@pytest.mark.parametrize("api_version,kind", BUILTIN_KINDS + [(a, k) for a, k, _, _ in CRD_KINDS])
def test_dynamic_client_finds_every_kind(cluster, api_version, kind):
    resource = cluster.dynamic().resources.get(api_version=api_version, kind=kind)
    assert resource.kind == kind


def test_dynamic_client_subresources(cluster):
    pods = cluster.dynamic().resources.get(api_version="v1", kind="Pod")
    assert {"status", "eviction"} <= set(pods.subresources)
