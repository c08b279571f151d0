"""Status subresource semantics, both ways, and generation bookkeeping with and without it."""

from kube_contract import raw
from kubernetes import client


def _api(cluster):
    return client.CustomObjectsApi(cluster.api_client())


def _create_nvj(cluster, namespace, name="s"):
    body = {"apiVersion": "mlops.mlops.dev/v1alpha1", "kind": "NotebookValidationJob",
            "metadata": {"name": name}, "spec": {"notebook": {"path": "a.ipynb"}},
            "status": {"phase": "Succeeded"}}
    return _api(cluster).create_namespaced_custom_object("mlops.mlops.dev", "v1alpha1", namespace,
                                                         "notebookvalidationjobs", body)


def _nvj_path(namespace, name, sub=""):
    return f"/apis/mlops.mlops.dev/v1alpha1/namespaces/{namespace}/notebookvalidationjobs/{name}{sub}"


def test_create_ignores_status_when_subresource_enabled(cluster, namespace):
    created = _create_nvj(cluster, namespace)
    assert "status" not in created


def test_main_resource_writes_ignore_status(cluster, namespace):
    _create_nvj(cluster, namespace)
    code, out = raw(cluster, "PATCH", _nvj_path(namespace, "s"),
                    {"spec": {"notebook": {"path": "b.ipynb"}}, "status": {"phase": "Failed"}},
                    "application/merge-patch+json")
    assert code == 200 and "status" not in out and out["metadata"]["generation"] == 2


def test_status_writes_change_only_status(cluster, namespace):
    created = _create_nvj(cluster, namespace)
    patch = {"metadata": {"labels": {"ignored": "yes"}}, "spec": {"notebook": {"path": "ignored.ipynb"}},
             "status": {"phase": "Running", "retryCount": 1}}
    code, out = raw(cluster, "PATCH", _nvj_path(namespace, "s", "/status"), patch, "application/merge-patch+json")
    assert code == 200
    assert out["status"] == {"phase": "Running", "retryCount": 1}
    assert out["spec"] == {"notebook": {"path": "a.ipynb"}}
    assert "labels" not in out["metadata"]
    assert out["metadata"]["generation"] == 1
    assert int(out["metadata"]["resourceVersion"]) > int(created["metadata"]["resourceVersion"])
    # a later main-resource write keeps the stored status
    code, out = raw(cluster, "PATCH", _nvj_path(namespace, "s"), {"metadata": {"annotations": {"a": "b"}}},
                    "application/merge-patch+json")
    assert out["status"] == {"phase": "Running", "retryCount": 1}


def test_status_replace_honours_resource_version(cluster, namespace):
    _create_nvj(cluster, namespace)
    api = _api(cluster)
    current = api.get_namespaced_custom_object("mlops.mlops.dev", "v1alpha1", namespace, "notebookvalidationjobs", "s")
    current["status"] = {"phase": "Failed", "message": "ModuleNotFoundError: No module named 'kserve_wrapper'"}
    out = api.replace_namespaced_custom_object_status("mlops.mlops.dev", "v1alpha1", namespace,
                                                      "notebookvalidationjobs", "s", current)
    assert out["status"]["phase"] == "Failed"
    code, body = raw(cluster, "PUT", _nvj_path(namespace, "s", "/status"), current)
    assert code == 409 and body["reason"] == "Conflict"


def test_get_status_subresource(cluster, namespace):
    _create_nvj(cluster, namespace)
    code, out = raw(cluster, "GET", _nvj_path(namespace, "s", "/status"))
    assert code == 200 and out["metadata"]["name"] == "s"


def test_without_status_subresource_status_is_ordinary_and_bumps_generation(cluster, namespace):
    path = f"/apis/argoproj.io/v1alpha1/namespaces/{namespace}/applications"
    app = {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "app"},
           "spec": {"project": "default"}, "status": {"sync": {"status": "Synced"}}}
    code, out = raw(cluster, "POST", path, app)
    assert code == 201 and out["status"] == {"sync": {"status": "Synced"}}
    code, out = raw(cluster, "PATCH", path + "/app", {"status": {"health": {"status": "Healthy"}}},
                    "application/merge-patch+json")
    assert out["status"] == {"sync": {"status": "Synced"}, "health": {"status": "Healthy"}}
    assert out["metadata"]["generation"] == 2
    code, _ = raw(cluster, "GET", path + "/app/status")
    assert code == 404


def test_deployment_status_subresource(cluster, namespace):
    apps = client.AppsV1Api(cluster.api_client())
    dep = {"metadata": {"name": "d"}, "spec": {"selector": {"matchLabels": {"a": "b"}},
                                               "template": {"metadata": {"labels": {"a": "b"}},
                                                            "spec": {"containers": [{"name": "c", "image": "i"}]}}}}
    apps.create_namespaced_deployment(namespace, dep)
    out = apps.patch_namespaced_deployment_status("d", namespace, {"status": {"readyReplicas": 1, "replicas": 1}})
    assert out.status.ready_replicas == 1 and out.metadata.generation == 1
    out = apps.patch_namespaced_deployment("d", namespace, {"status": {"readyReplicas": 5}})
    assert out.status.ready_replicas == 1
