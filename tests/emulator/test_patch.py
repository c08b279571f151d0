"""Patches: JSON merge, JSON patch, strategic merge (built-ins only), server-side apply; RV/generation rules."""

import json

import pytest
from kube_contract import raw
from kubernetes import client
from kubernetes.client import ApiException

NVJ = ("mlops.mlops.dev", "v1alpha1", "notebookvalidationjobs")


def _nvj(cluster, namespace, name="p", annotations=None):
    body = {"apiVersion": "mlops.mlops.dev/v1alpha1", "kind": "NotebookValidationJob",
            "metadata": {"name": name, "annotations": annotations or {"keep": "me"}},
            "spec": {"notebook": {"path": "nb.ipynb", "git": {"ref": "main"}}, "tags": ["a", "b"]}}
    return client.CustomObjectsApi(cluster.api_client()).create_namespaced_custom_object(
        *NVJ[:2], namespace, NVJ[2], body)


def _path(namespace, name):
    return f"/apis/mlops.mlops.dev/v1alpha1/namespaces/{namespace}/notebookvalidationjobs/{name}"


def _deployment(name):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {
                         "containers": [
                             {"name": "main", "image": "app:1",
                              "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                              "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                              "volumeMounts": [{"name": "data", "mountPath": "/data"}]},
                             {"name": "sidecar", "image": "side:1", "args": ["--x", "--y"]}],
                         "volumes": [{"name": "data", "emptyDir": {}}, {"name": "cache", "emptyDir": {}}]}}}}


def test_merge_patch_merges_maps_replaces_lists_and_null_deletes(cluster, namespace):
    created = _nvj(cluster, namespace)
    code, out = raw(cluster, "PATCH", _path(namespace, "p"),
                    {"metadata": {"annotations": {"new": "1", "keep": None}},
                     "spec": {"notebook": {"git": {"url": "u"}}, "tags": ["c"]}},
                    "application/merge-patch+json")
    assert code == 200
    assert out["metadata"]["annotations"] == {"new": "1"}
    assert out["spec"] == {"notebook": {"path": "nb.ipynb", "git": {"ref": "main", "url": "u"}}, "tags": ["c"]}
    assert out["metadata"]["generation"] == 2
    assert int(out["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])


def test_metadata_only_change_keeps_generation(cluster, namespace):
    _nvj(cluster, namespace)
    _, out = raw(cluster, "PATCH", _path(namespace, "p"), {"metadata": {"labels": {"x": "y"}}},
                 "application/merge-patch+json")
    assert out["metadata"]["generation"] == 1 and out["metadata"]["labels"] == {"x": "y"}


def test_no_op_patch_keeps_resource_version(cluster, namespace):
    created = _nvj(cluster, namespace, annotations={"a": "1"})
    _, out = raw(cluster, "PATCH", _path(namespace, "p"), {"metadata": {"annotations": {"a": "1"}}},
                 "application/merge-patch+json")
    assert out["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]
    assert out["metadata"]["generation"] == 1


def test_merge_patch_with_stale_resource_version_conflicts(cluster, namespace):
    _nvj(cluster, namespace)
    code, out = raw(cluster, "PATCH", _path(namespace, "p"),
                    {"metadata": {"resourceVersion": "1", "labels": {"x": "y"}}}, "application/merge-patch+json")
    assert code == 409 and out["reason"] == "Conflict"


def test_json_patch_ops(cluster, namespace):
    _nvj(cluster, namespace)
    ops = [{"op": "test", "path": "/spec/notebook/path", "value": "nb.ipynb"},
           {"op": "add", "path": "/spec/tags/-", "value": "z"},
           {"op": "replace", "path": "/spec/notebook/path", "value": "other.ipynb"},
           {"op": "remove", "path": "/spec/tags/0"},
           {"op": "add", "path": "/metadata/annotations/mlops.dev~1wave-complete", "value": "3"},
           {"op": "copy", "from": "/spec/notebook/path", "path": "/spec/copied"},
           {"op": "move", "from": "/spec/copied", "path": "/spec/moved"}]
    code, out = raw(cluster, "PATCH", _path(namespace, "p"), ops, "application/json-patch+json")
    assert code == 200, out
    assert out["spec"]["tags"] == ["b", "z"] and out["spec"]["notebook"]["path"] == "other.ipynb"
    assert out["spec"]["moved"] == "other.ipynb" and "copied" not in out["spec"]
    assert out["metadata"]["annotations"]["mlops.dev/wave-complete"] == "3"


def test_json_patch_failing_test_op_is_422_and_changes_nothing(cluster, namespace):
    created = _nvj(cluster, namespace)
    ops = [{"op": "replace", "path": "/spec/notebook/path", "value": "x"},
           {"op": "test", "path": "/spec/notebook/path", "value": "nope"}]
    code, out = raw(cluster, "PATCH", _path(namespace, "p"), ops, "application/json-patch+json")
    assert code == 422 and out["reason"] == "Invalid" and out["kind"] == "Status"
    now = client.CustomObjectsApi(cluster.api_client()).get_namespaced_custom_object(*NVJ[:2], namespace, NVJ[2],
                                                                                     "p")
    assert now["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_json_patch_remove_missing_path_is_422(cluster, namespace):
    _nvj(cluster, namespace)
    code, out = raw(cluster, "PATCH", _path(namespace, "p"), [{"op": "remove", "path": "/spec/nothing"}],
                    "application/json-patch+json")
    assert code == 422


def test_strategic_merge_on_custom_resource_is_415(cluster, namespace):
    _nvj(cluster, namespace)
    code, out = raw(cluster, "PATCH", _path(namespace, "p"), {"spec": {"x": 1}},
                    "application/strategic-merge-patch+json")
    assert code == 415 and out["reason"] == "UnsupportedMediaType" and out["kind"] == "Status"


def test_strategic_merge_patch_merges_lists_by_key(cluster, namespace):
    apps = client.AppsV1Api(cluster.api_client())
    apps.create_namespaced_deployment(namespace, _deployment("web"))
    patch = {"spec": {"template": {"metadata": {"annotations": {"kubectl.kubernetes.io/restartedAt": "now"}},
                                   "spec": {"containers": [
                                       {"name": "main", "image": "app:2",
                                        "env": [{"name": "B", "value": "20"}, {"name": "C", "value": "3"},
                                                {"name": "A", "$patch": "delete"}],
                                        "ports": [{"containerPort": 9090}]},
                                       {"name": "new", "image": "new:1"}],
                                       "volumes": [{"name": "cache", "$patch": "delete"}]}}}}
    out = apps.patch_namespaced_deployment("web", namespace, patch)  # dict body -> strategic merge patch
    spec = out.spec.template.spec
    by_name = {c.name: c for c in spec.containers}
    assert [c.name for c in spec.containers] == ["main", "sidecar", "new"]
    assert by_name["main"].image == "app:2"
    assert [(e.name, e.value) for e in by_name["main"].env] == [("B", "20"), ("C", "3")]
    assert sorted(p.container_port for p in by_name["main"].ports) == [8080, 9090]
    assert by_name["main"].volume_mounts[0].mount_path == "/data"
    assert by_name["sidecar"].args == ["--x", "--y"]
    assert [v.name for v in spec.volumes] == ["data"]
    assert out.spec.template.metadata.annotations == {"kubectl.kubernetes.io/restartedAt": "now"}
    assert out.metadata.generation == 2


def test_strategic_merge_replaces_other_lists(cluster, namespace):
    apps = client.AppsV1Api(cluster.api_client())
    apps.create_namespaced_deployment(namespace, _deployment("web"))
    out = apps.patch_namespaced_deployment("web", namespace, {"spec": {"template": {"spec": {"containers": [
        {"name": "sidecar", "args": ["--z"]}]}}}})
    assert {c.name: c for c in out.spec.template.spec.containers}["sidecar"].args == ["--z"]


def test_server_side_apply_creates_then_merges(cluster, namespace):
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ssa"}, "data": {"a": "1"}}
    path = f"/api/v1/namespaces/{namespace}/configmaps/ssa"
    code, out = raw(cluster, "PATCH", path, json.dumps(cm), "application/apply-patch+yaml",
                    query={"fieldManager": "test", "force": "true"})
    assert code == 201 and out["data"] == {"a": "1"}
    yaml_body = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  b: '2'\n"
    code, out = raw(cluster, "PATCH", path, yaml_body, "application/apply-patch+yaml", query={"fieldManager": "test"})
    assert code == 200 and out["data"]["b"] == "2"


def test_dynamic_client_server_side_apply_on_custom_resource(cluster, namespace):
    res = cluster.dynamic().resources.get(api_version="mlops.mlops.dev/v1alpha1", kind="NotebookValidationJob")
    body = {"apiVersion": "mlops.mlops.dev/v1alpha1", "kind": "NotebookValidationJob",
            "metadata": {"name": "applied", "namespace": namespace}, "spec": {"notebook": {"path": "a.ipynb"}}}
    first = res.server_side_apply(body=body, namespace=namespace, field_manager="pytest")
    assert first.metadata.name == "applied"
    body["spec"]["notebook"]["path"] = "b.ipynb"
    second = res.server_side_apply(body=body, namespace=namespace, field_manager="pytest", force_conflicts=True)
    assert second.spec.notebook.path == "b.ipynb" and second.metadata.generation == 2


def test_patch_missing_object_is_404(cluster, namespace):
    with pytest.raises(ApiException) as err:
        client.CoreV1Api(cluster.api_client()).patch_namespaced_config_map("nope", namespace, {"data": {}})
    assert err.value.status == 404


def test_unknown_patch_content_type_is_415(cluster, namespace):
    _nvj(cluster, namespace)
    code, out = raw(cluster, "PATCH", _path(namespace, "p"), {"spec": {}}, "application/json")
    assert code == 415
