"""Core v1 and events.k8s.io/v1 Events, pod eviction, CRDs created over the API."""

import time
import uuid

import pytest
from kube_contract import raw
from kubernetes import client
from kubernetes.client import ApiException


def test_core_events_and_involved_object_selectors(cluster, namespace):
    api = client.CoreV1Api(cluster.api_client())
    event = {"metadata": {"generateName": "predictive-analytics-kserve-validation."},
             "involvedObject": {"apiVersion": "mlops.mlops.dev/v1alpha1", "kind": "NotebookValidationJob",
                                "name": "predictive-analytics-kserve-validation", "namespace": namespace,
                                "uid": "00000000-0000-4000-8000-000000000100"},
             "reason": "ValidationFailed", "type": "Warning",
             "message": "ModuleNotFoundError: No module named 'kserve_wrapper'",
             "source": {"component": "mlops-gitops"}, "count": 1}
    created = api.create_namespaced_event(namespace, event)
    assert created.metadata.name.startswith("predictive-analytics-kserve-validation.")
    found = api.list_namespaced_event(namespace, field_selector=(
        "involvedObject.kind=NotebookValidationJob,involvedObject.uid=00000000-0000-4000-8000-000000000100,"
        "reason=ValidationFailed,source=mlops-gitops"))
    assert [e.metadata.name for e in found.items] == [created.metadata.name]


def test_events_k8s_io_v1(cluster, namespace):
    api = client.EventsV1Api(cluster.api_client())
    event = {"metadata": {"name": "nvj-succeeded"}, "eventTime": "2026-01-24T22:30:00.000000Z",
             "reportingController": "mlops.dev/gitops", "reportingInstance": "controller-0",
             "action": "Validate", "reason": "ValidationSucceeded", "type": "Normal", "note": "ok",
             "regarding": {"apiVersion": "mlops.mlops.dev/v1alpha1", "kind": "NotebookValidationJob",
                           "name": "job", "namespace": namespace}}
    api.create_namespaced_event(namespace, event)
    listed = api.list_namespaced_event(namespace, field_selector="regarding.name=job,reason=ValidationSucceeded")
    assert [e.metadata.name for e in listed.items] == ["nvj-succeeded"]
    assert listed.items[0].note == "ok"


def test_eviction_deletes_the_pod(cluster, namespace):
    api = client.CoreV1Api(cluster.api_client())
    api.create_namespaced_pod(namespace, {"metadata": {"name": "victim"},
                                          "spec": {"containers": [{"name": "c", "image": "i"}]}})
    eviction = {"apiVersion": "policy/v1", "kind": "Eviction",
                "metadata": {"name": "victim", "namespace": namespace}}
    code, body = raw(cluster, "POST", f"/api/v1/namespaces/{namespace}/pods/victim/eviction", eviction)
    assert code == 201
    assert body["kind"] == "Status" and body["status"] == "Success"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            api.read_namespaced_pod("victim", namespace)
        except ApiException as exc:
            assert exc.status == 404
            break
        time.sleep(0.5)
    code, body = raw(cluster, "POST", f"/api/v1/namespaces/{namespace}/pods/victim/eviction", eviction)
    assert code == 404 and body["message"] == 'pods "victim" not found'


def test_eviction_via_typed_client(cluster, namespace):
    api = client.CoreV1Api(cluster.api_client())
    api.create_namespaced_pod(namespace, {"metadata": {"name": "p"},
                                          "spec": {"containers": [{"name": "c", "image": "i"}]}})
    api.create_namespaced_pod_eviction("p", namespace, client.V1Eviction(
        metadata=client.V1ObjectMeta(name="p", namespace=namespace)))


def test_pod_delete_returns_the_pod(cluster, namespace):
    api = client.CoreV1Api(cluster.api_client())
    api.create_namespaced_pod(namespace, {"metadata": {"name": "p"},
                                          "spec": {"containers": [{"name": "c", "image": "i"}]}})
    code, body = raw(cluster, "DELETE", f"/api/v1/namespaces/{namespace}/pods/p")
    assert code == 200 and body["kind"] == "Pod"


@pytest.fixture
def widget_crd(cluster):
    group = f"t{uuid.uuid4().hex[:6]}.example.com"
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": f"widgets.{group}"},
           "spec": {"group": group, "scope": "Namespaced",
                    "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
                    "versions": [{"name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
                                  "schema": {"openAPIV3Schema": {"type": "object",
                                                                 "x-kubernetes-preserve-unknown-fields": True}}}]}}
    ext = client.ApiextensionsV1Api(cluster.api_client())
    ext.create_custom_resource_definition(crd)
    deadline = time.time() + 60
    while time.time() < deadline:
        conditions = ext.read_custom_resource_definition(crd["metadata"]["name"]).status.conditions or []
        if any(c.type == "Established" and c.status == "True" for c in conditions):
            break
        time.sleep(0.5)
    yield group
    ext.delete_custom_resource_definition(crd["metadata"]["name"])


def test_crd_created_over_the_api_is_served(cluster, namespace, widget_crd):
    code, body = raw(cluster, "GET", f"/apis/{widget_crd}/v1")
    assert code == 200 and body["resources"][0]["name"] == "widgets"
    api = client.CustomObjectsApi(cluster.api_client())
    obj = api.create_namespaced_custom_object(widget_crd, "v1", namespace, "widgets", {
        "apiVersion": f"{widget_crd}/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"size": 1}})
    assert obj["metadata"]["generation"] == 1
    res = cluster.dynamic().resources.get(api_version=f"{widget_crd}/v1", kind="Widget")
    assert res.get(namespace=namespace, name="w").spec.size == 1


def test_crd_delete_unserves_the_kind(emulator, cluster, namespace):
    group = f"t{uuid.uuid4().hex[:6]}.example.com"
    ext = client.ApiextensionsV1Api(cluster.api_client())
    ext.create_custom_resource_definition({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": f"gadgets.{group}"},
        "spec": {"group": group, "scope": "Cluster", "names": {"plural": "gadgets", "kind": "Gadget"},
                 "versions": [{"name": "v1", "served": True, "storage": True,
                               "schema": {"openAPIV3Schema": {"type": "object"}}}]}})
    assert raw(cluster, "POST", f"/apis/{group}/v1/gadgets", {"apiVersion": f"{group}/v1", "kind": "Gadget",
                                                               "metadata": {"name": "g"}})[0] == 201
    ext.delete_custom_resource_definition(f"gadgets.{group}")
    assert raw(cluster, "GET", f"/apis/{group}/v1/gadgets")[0] == 404
