"""Fault injection, the request log, RBAC-style users and the HTTP control endpoints."""

import json
import time
import urllib.request

import pytest
import urllib3
from kube_contract import raw
from kubernetes import client
from kubernetes.client import ApiException


def _core(cluster):
    return client.CoreV1Api(cluster.api_client())


def test_request_log_records_kubernetes_verbs(emulator, cluster, namespace):
    api = _core(cluster)
    emulator.clear_log()
    api.create_namespaced_config_map(namespace, {"metadata": {"name": "a"}})
    api.read_namespaced_config_map("a", namespace)
    api.list_namespaced_config_map(namespace, label_selector="x=y")
    api.patch_namespaced_config_map("a", namespace, {"data": {"k": "v"}})
    api.replace_namespaced_config_map("a", namespace, {"metadata": {"name": "a"}})
    api.delete_namespaced_config_map("a", namespace)
    api.delete_collection_namespaced_config_map(namespace)
    raw(cluster, "PATCH", f"/api/v1/namespaces/{namespace}/configmaps/zz", {"data": {}},
        "application/merge-patch+json")
    raw(cluster, "GET", "/api/v1")
    log = emulator.request_log
    assert [e["verb"] for e in log] == ["create", "get", "list", "patch", "update", "delete", "deletecollection",
                                        "patch", "discovery"]
    create = log[0]
    assert create["method"] == "POST" and create["code"] == 201 and create["resource"] == "configmaps"
    assert create["group"] == "" and create["version"] == "v1" and create["namespace"] == namespace
    assert create["path"] == f"/api/v1/namespaces/{namespace}/configmaps" and create["user"]
    assert isinstance(create["time"], float)
    assert log[1]["name"] == "a" and log[2]["query"]["labelSelector"] == "x=y"
    assert log[3]["patch_type"] == "strategic" and log[7]["patch_type"] == "merge" and log[7]["code"] == 404
    assert all("/_emulator/" not in e["path"] for e in log)


def test_request_log_subresource(emulator, cluster, namespace):
    res = cluster.dynamic().resources.get(api_version="mlops.mlops.dev/v1alpha1", kind="NotebookValidationJob")
    res.create(body={"apiVersion": "mlops.mlops.dev/v1alpha1", "kind": "NotebookValidationJob",
                     "metadata": {"name": "j"}, "spec": {}}, namespace=namespace)
    emulator.clear_log()
    res.status.patch(body={"metadata": {"name": "j"}, "status": {"phase": "Failed"}}, namespace=namespace,
                     content_type="application/merge-patch+json")
    (entry,) = emulator.request_log
    assert (entry["verb"], entry["group"], entry["resource"], entry["subresource"], entry["name"]) == (
        "patch", "mlops.mlops.dev", "notebookvalidationjobs", "status", "j")


@pytest.mark.parametrize("code,reason", [(500, "InternalError"), (503, "ServiceUnavailable"), (409, "Conflict"),
                                         (403, "Forbidden"), (404, "NotFound"), (429, "TooManyRequests")])
def test_fault_codes_answer_status_bodies(emulator, cluster, namespace, code, reason):
    emulator.inject_fault(verb="get", resource="configmaps", name="target", code=code)
    status, body = raw(cluster, "GET", f"/api/v1/namespaces/{namespace}/configmaps/target")
    assert status == code and body["kind"] == "Status" and body["reason"] == reason and body["code"] == code
    if code == 404:
        assert body["message"] == 'configmaps "target" not found'
    if code == 409:
        assert body["message"].startswith('Operation cannot be fulfilled on configmaps "target"')


def test_fault_nth_and_count(emulator, cluster, namespace):
    api = _core(cluster)
    api.create_namespaced_config_map(namespace, {"metadata": {"name": "n"}})
    emulator.inject_fault(verb="patch", resource="configmaps", namespace=namespace, nth=2, count=2, code=503)
    outcomes = []
    for i in range(5):
        try:
            api.patch_namespaced_config_map("n", namespace, {"data": {"i": str(i)}})
            outcomes.append(200)
        except ApiException as exc:
            outcomes.append(exc.status)
    assert outcomes == [200, 503, 503, 200, 200]
    assert api.read_namespaced_config_map("n", namespace).data == {"i": "4"}
    assert [e["code"] for e in emulator.request_log if e["verb"] == "patch"] == outcomes


def test_fault_criteria_must_all_match(emulator, cluster, namespace):
    api = _core(cluster)
    api.create_namespaced_config_map(namespace, {"metadata": {"name": "a"}})
    emulator.inject_fault(verb="get", resource="configmaps", name="b", code=500)
    api.read_namespaced_config_map("a", namespace)  # other name: unaffected
    emulator.clear_faults()
    emulator.inject_fault(path=r"/configmaps/a$", method="GET", code=500)
    with pytest.raises(ApiException) as err:
        api.read_namespaced_config_map("a", namespace)
    assert err.value.status == 500
    api.read_namespaced_config_map("a", namespace)  # count=1: next one passes


def test_fault_on_discovery(emulator, cluster):
    emulator.inject_fault(verb="discovery", path="^/apis$", code=503)
    code, _ = raw(cluster, "GET", "/apis")
    assert code == 503


def test_fault_delay_simulates_timeout(emulator, cluster, namespace):
    api = _core(cluster)
    api.create_namespaced_config_map(namespace, {"metadata": {"name": "slow"}})
    emulator.inject_fault(verb="get", name="slow", code=0, delay=0.8, count=4)  # urllib3 retries reads 3 times
    started = time.monotonic()
    with pytest.raises(urllib3.exceptions.MaxRetryError):
        api.read_namespaced_config_map("slow", namespace, _request_timeout=0.2)
    assert time.monotonic() - started < 2
    time.sleep(0.8)  # let the abandoned requests finish
    emulator.inject_fault(verb="get", name="slow", code=0, delay=0.3)
    started = time.monotonic()
    assert api.read_namespaced_config_map("slow", namespace).metadata.name == "slow"
    assert time.monotonic() - started >= 0.3


def test_add_user_denies_with_real_forbidden_message(emulator, cluster, namespace, tmp_path):
    emulator.add_user("reader-token", [
        {"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]},
        {"apiGroups": ["mlops.mlops.dev"], "resources": ["notebookvalidationjobs/status"], "verbs": ["patch"],
         "namespaces": [namespace]},
    ], user="system:serviceaccount:mlops:reader")
    _core(cluster).create_namespaced_config_map(namespace, {"metadata": {"name": "argocd-cm"}})
    kubeconfig = emulator.write_kubeconfig(tmp_path / "reader", token="reader-token")
    from kubernetes import config

    reader = client.CoreV1Api(config.new_client_from_config(kubeconfig))
    assert reader.read_namespaced_config_map("argocd-cm", namespace).metadata.name == "argocd-cm"
    with pytest.raises(ApiException) as err:
        reader.patch_namespaced_config_map("argocd-cm", namespace, {"data": {"a": "b"}})
    body = json.loads(err.value.body)
    assert err.value.status == 403 and body["reason"] == "Forbidden"
    assert body["message"] == (
        'configmaps "argocd-cm" is forbidden: User "system:serviceaccount:mlops:reader" cannot patch resource '
        f'"configmaps" in API group "" in the namespace "{namespace}"')
    assert body["details"] == {"name": "argocd-cm", "kind": "configmaps"}
    with pytest.raises(ApiException) as err:
        reader.create_namespaced_config_map(namespace, {"metadata": {"name": "new"}})
    assert json.loads(err.value.body)["message"].startswith("configmaps is forbidden: User")
    with pytest.raises(ApiException) as err:
        reader.list_namespace()
    assert json.loads(err.value.body)["message"].endswith('resource "namespaces" in API group "" at the cluster scope')
    log = [e for e in emulator.request_log if e["user"] == "system:serviceaccount:mlops:reader"]
    assert [e["code"] for e in log] == [200, 403, 403, 403]


def test_add_user_subresource_rules(emulator, cluster, namespace, tmp_path):
    emulator.add_user("status-writer", [
        {"apiGroups": ["mlops.mlops.dev"], "resources": ["notebookvalidationjobs/status"], "verbs": ["patch"]}])
    res = cluster.dynamic().resources.get(api_version="mlops.mlops.dev/v1alpha1", kind="NotebookValidationJob")
    res.create(body={"apiVersion": "mlops.mlops.dev/v1alpha1", "kind": "NotebookValidationJob",
                     "metadata": {"name": "j"}, "spec": {}}, namespace=namespace)
    path = f"/apis/mlops.mlops.dev/v1alpha1/namespaces/{namespace}/notebookvalidationjobs/j"
    headers = {"Authorization": "Bearer status-writer"}
    code, _ = raw(cluster, "PATCH", path + "/status", {"status": {"phase": "Failed"}},
                  "application/merge-patch+json", headers=headers)
    assert code == 200
    code, body = raw(cluster, "PATCH", path, {"spec": {"a": 1}}, "application/merge-patch+json", headers=headers)
    assert code == 403
    assert 'cannot patch resource "notebookvalidationjobs" in API group "mlops.mlops.dev"' in body["message"]


def _http(emulator, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(emulator.url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, json.loads(response.read() or b"null")


def test_http_control_endpoints(emulator, cluster, namespace):
    assert _http(emulator, "DELETE", "/_emulator/log")[0] == 200
    status, body = _http(emulator, "POST", "/_emulator/faults", {"verb": "list", "resource": "secrets", "code": 500})
    assert status == 201 and body["id"]
    code, _ = raw(cluster, "GET", f"/api/v1/namespaces/{namespace}/secrets")
    assert code == 500
    status, log = _http(emulator, "GET", "/_emulator/log")
    assert [(e["verb"], e["resource"], e["code"]) for e in log] == [("list", "secrets", 500)]
    _http(emulator, "POST", "/_emulator/faults", {"verb": "list", "resource": "secrets", "code": 500})
    assert _http(emulator, "DELETE", "/_emulator/faults")[0] == 200
    assert raw(cluster, "GET", f"/api/v1/namespaces/{namespace}/secrets")[0] == 200


def test_invalid_fault_code_is_rejected(emulator):
    with pytest.raises(ValueError):
        emulator.inject_fault(code=418)
