"""Label and field selectors, data-driven from cases/*.yaml, on lists, deletecollection and watch."""

import pytest
from kube_contract import load_cases, raw
from kubernetes import client

LABELS = load_cases("label_selectors.yaml")
FIELDS = load_cases("field_selectors.yaml")


@pytest.fixture
def labelled(cluster, namespace):
    api = client.CoreV1Api(cluster.api_client())
    for name, labels in LABELS["objects"].items():
        api.create_namespaced_config_map(namespace, {"metadata": {"name": name, "labels": labels}})
    return namespace


@pytest.mark.parametrize("case", LABELS["cases"], ids=lambda c: c["selector"] or "<empty>")
def test_label_selector(cluster, labelled, case):
    code, body = raw(cluster, "GET", f"/api/v1/namespaces/{labelled}/configmaps",
                     query={"labelSelector": case["selector"]})
    if "error" in case:
        assert code == case["error"], body
        assert body["kind"] == "Status" and body["reason"] == "BadRequest"
        return
    assert code == 200, body
    assert [i["metadata"]["name"] for i in body["items"]] == case["match"]


@pytest.fixture
def events(cluster, namespace):
    api = client.CoreV1Api(cluster.api_client())
    for name, ev in FIELDS["events"].items():
        group = "mlops.mlops.dev/v1alpha1" if ev["kind"] == "NotebookValidationJob" else "v1"
        involved = {"kind": ev["kind"], "name": ev["name"], "namespace": namespace, "apiVersion": group}
        if name == "ev-nvj-fail":
            involved["fieldPath"] = "spec"
        api.create_namespaced_event(namespace, {"metadata": {"name": name}, "involvedObject": involved,
                                                "reason": ev["reason"], "type": ev["type"], "message": "m"})
    return namespace


@pytest.mark.parametrize("case", FIELDS["cases"], ids=lambda c: f'{c["resource"]}:{c["selector"]}')
def test_field_selector(cluster, events, case):
    code, body = raw(cluster, "GET", f"/api/v1/namespaces/{events}/{case['resource']}",
                     query={"fieldSelector": case["selector"].replace("{ns}", events)})
    if "error" in case:
        assert code == case["error"], body
        assert body["reason"] == "BadRequest"
        if "message" in case:
            assert body["message"] == case["message"]
        return
    assert code == 200, body
    assert [i["metadata"]["name"] for i in body["items"]] == case["match"]


def test_custom_resources_support_only_metadata_fields(cluster, namespace):
    base = f"/apis/mlops.mlops.dev/v1alpha1/namespaces/{namespace}/notebookvalidationjobs"
    code, body = raw(cluster, "GET", base, query={"fieldSelector": "status.phase=Failed"})
    assert code == 400 and body["message"] == "field label not supported: status.phase"
    code, body = raw(cluster, "GET", base, query={"fieldSelector": "metadata.name=x"})
    assert code == 200 and body["items"] == []


def test_pod_status_phase_field_selector(cluster, namespace):
    api = client.CoreV1Api(cluster.api_client())
    for name in ("a", "b"):
        api.create_namespaced_pod(namespace, {"metadata": {"name": name},
                                              "spec": {"containers": [{"name": "c", "image": "i"}]}})
    api.patch_namespaced_pod_status("b", namespace, {"status": {"phase": "Running"}})
    running = api.list_namespaced_pod(namespace, field_selector="status.phase=Running")
    assert [p.metadata.name for p in running.items] == ["b"]
