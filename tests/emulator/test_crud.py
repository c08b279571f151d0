"""get / list / create / replace / delete with the real server's status codes, Status bodies and metadata."""

import re
import uuid

import pytest
from kube_contract import raw
from kubernetes import client
from kubernetes.client import ApiException

NVJ = ("mlops.mlops.dev", "v1alpha1", "notebookvalidationjobs")


def core(cluster):
    return client.CoreV1Api(cluster.api_client())


def custom(cluster):
    return client.CustomObjectsApi(cluster.api_client())


def nvj_body(name, **extra):
    return {"apiVersion": "mlops.mlops.dev/v1alpha1", "kind": "NotebookValidationJob",
            "metadata": {"name": name, **extra}, "spec": {"notebook": {"path": "nb.ipynb"}}}


def cm_path(ns, name=""):
    return f"/api/v1/namespaces/{ns}/configmaps" + (f"/{name}" if name else "")


def test_create_sets_server_metadata(cluster, namespace):
    obj = custom(cluster).create_namespaced_custom_object(*NVJ[:2], namespace, NVJ[2], nvj_body("a"))
    meta = obj["metadata"]
    uuid.UUID(meta["uid"])
    assert re.fullmatch(r"\d+", meta["resourceVersion"])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", meta["creationTimestamp"])
    assert meta["generation"] == 1 and meta["namespace"] == namespace


def test_resource_versions_come_from_one_global_counter(cluster, namespace):
    api = core(cluster)
    a = api.create_namespaced_config_map(namespace, {"metadata": {"name": "a"}})
    b = custom(cluster).create_namespaced_custom_object(*NVJ[:2], namespace, NVJ[2], nvj_body("b"))
    c = api.create_namespaced_config_map(namespace, {"metadata": {"name": "c"}})
    rvs = [int(a.metadata.resource_version), int(b["metadata"]["resourceVersion"]), int(c.metadata.resource_version)]
    assert rvs == sorted(rvs) and len(set(rvs)) == 3


def test_get_missing_is_404_with_real_message(cluster, namespace):
    with pytest.raises(ApiException) as err:
        custom(cluster).get_namespaced_custom_object(*NVJ[:2], namespace, NVJ[2], "x")
    body = _body(err)
    assert err.value.status == 404
    assert body["message"] == 'notebookvalidationjobs.mlops.mlops.dev "x" not found'
    assert body["reason"] == "NotFound" and body["code"] == 404
    assert body["details"] == {"name": "x", "group": "mlops.mlops.dev", "kind": "notebookvalidationjobs"}


def _body(err):
    import json

    return json.loads(err.value.body)


def test_create_twice_is_409_already_exists(cluster, namespace):
    api = core(cluster)
    api.create_namespaced_config_map(namespace, {"metadata": {"name": "dup"}})
    with pytest.raises(ApiException) as err:
        api.create_namespaced_config_map(namespace, {"metadata": {"name": "dup"}})
    body = _body(err)
    assert err.value.status == 409 and body["reason"] == "AlreadyExists"
    assert body["message"] == 'configmaps "dup" already exists'
    assert body["details"] == {"name": "dup", "kind": "configmaps"}


def test_generate_name(cluster, namespace):
    obj = core(cluster).create_namespaced_config_map(namespace, {"metadata": {"generateName": "gen-"}})
    assert re.fullmatch(r"gen-[a-z0-9]{5}", obj.metadata.name)
    assert obj.metadata.generate_name == "gen-"


def test_create_in_missing_namespace_is_404(cluster):
    with pytest.raises(ApiException) as err:
        core(cluster).create_namespaced_config_map("no-such-ns-4711", {"metadata": {"name": "a"}})
    body = _body(err)
    assert err.value.status == 404 and body["message"] == 'namespaces "no-such-ns-4711" not found'


def test_body_namespace_mismatch_is_400(cluster, namespace):
    code, body = raw(cluster, "POST", cm_path(namespace),
                     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "other"}})
    assert code == 400 and body["reason"] == "BadRequest"
    assert body["message"] == "the namespace of the provided object does not match the namespace sent on the request"


@pytest.mark.parametrize("metadata,field,fragment", [
    ({}, "metadata.name", "Required value: name or generateName is required"),
    ({"name": "Bad_Name"}, "metadata.name", 'Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain'),
    ({"name": "-x"}, "metadata.name", "a lowercase RFC 1123 subdomain must consist of"),
    ({"name": "a" * 254}, "metadata.name", "must be no more than 253 characters"),
    ({"name": "ok", "labels": {"app": "bad value!"}}, "metadata.labels", 'Invalid value: "bad value!"'),
    ({"name": "ok", "labels": {"bad key!": "v"}}, "metadata.labels", 'Invalid value: "bad key!"'),
    ({"name": "ok", "annotations": {"big": "x" * (256 * 1024)}}, "metadata.annotations",
     "Too long: may not be more than 262144 bytes"),
])
def test_invalid_metadata_is_422(cluster, namespace, metadata, field, fragment):
    code, body = raw(cluster, "POST", cm_path(namespace), {"apiVersion": "v1", "kind": "ConfigMap",
                                                           "metadata": metadata})
    assert code == 422, body
    assert body["reason"] == "Invalid" and body["code"] == 422
    assert body["message"].startswith(f'ConfigMap "{metadata.get("name", "")}" is invalid: {field}: ')
    assert fragment in body["message"]
    assert body["details"]["kind"] == "ConfigMap"
    assert body["details"]["causes"][0]["field"] == field


def test_annotations_just_under_the_limit_are_fine(cluster, namespace):
    value = "x" * (256 * 1024 - len("big"))
    code, _ = raw(cluster, "POST", cm_path(namespace), {"apiVersion": "v1", "kind": "ConfigMap",
                                                        "metadata": {"name": "ok", "annotations": {"big": value}}})
    assert code == 201


def test_namespace_names_are_rfc1123_labels(cluster):
    code, body = raw(cluster, "POST", "/api/v1/namespaces", {"metadata": {"name": "has.dot"}})
    assert code == 422 and "a lowercase RFC 1123 label must consist of" in body["message"]


def test_replace_with_stale_resource_version_is_409_conflict(cluster, namespace):
    api = custom(cluster)
    obj = api.create_namespaced_custom_object(*NVJ[:2], namespace, NVJ[2], nvj_body("r"))
    fresh = dict(obj, spec={"notebook": {"path": "v2.ipynb"}})
    updated = api.replace_namespaced_custom_object(*NVJ[:2], namespace, NVJ[2], "r", fresh)
    assert updated["metadata"]["generation"] == 2
    assert int(updated["metadata"]["resourceVersion"]) > int(obj["metadata"]["resourceVersion"])
    stale = dict(obj, spec={"notebook": {"path": "v3.ipynb"}})
    with pytest.raises(ApiException) as err:
        api.replace_namespaced_custom_object(*NVJ[:2], namespace, NVJ[2], "r", stale)
    body = _body(err)
    assert err.value.status == 409 and body["reason"] == "Conflict"
    assert body["message"] == ('Operation cannot be fulfilled on notebookvalidationjobs.mlops.mlops.dev "r": the '
                               'object has been modified; please apply your changes to the latest version and try '
                               'again')


def test_replace_without_resource_version_is_unconditional(cluster, namespace):
    api = core(cluster)
    api.create_namespaced_config_map(namespace, {"metadata": {"name": "u"}, "data": {"a": "1"}})
    out = api.replace_namespaced_config_map("u", namespace, {"metadata": {"name": "u"}, "data": {"b": "2"}})
    assert out.data == {"b": "2"}


def test_replace_keeps_immutable_metadata(cluster, namespace):
    api = core(cluster)
    created = api.create_namespaced_config_map(namespace, {"metadata": {"name": "im"}})
    body = {"metadata": {"name": "im", "uid": "00000000-0000-0000-0000-000000000000",
                         "creationTimestamp": "2000-01-01T00:00:00Z"}, "data": {"a": "1"}}
    out = api.replace_namespaced_config_map("im", namespace, body)
    assert out.metadata.uid == created.metadata.uid
    assert out.metadata.creation_timestamp == created.metadata.creation_timestamp


def test_replace_name_mismatch_is_400(cluster, namespace):
    core(cluster).create_namespaced_config_map(namespace, {"metadata": {"name": "n1"}})
    code, body = raw(cluster, "PUT", cm_path(namespace, "n1"),
                     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "n2"}})
    assert code == 400
    assert body["message"] == "the name of the object (n2) does not match the name on the URL (n1)"


def test_replace_missing_is_404(cluster, namespace):
    code, body = raw(cluster, "PUT", cm_path(namespace, "ghost"),
                     {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ghost"}})
    assert code == 404 and body["message"] == 'configmaps "ghost" not found'


def test_no_op_replace_keeps_resource_version(cluster, namespace):
    api = core(cluster)
    obj = api.create_namespaced_config_map(namespace, {"metadata": {"name": "same"}, "data": {"a": "1"}})
    again = api.replace_namespaced_config_map("same", namespace, obj)
    assert again.metadata.resource_version == obj.metadata.resource_version


def test_configmaps_have_no_generation_but_deployments_do(cluster, namespace):
    cm = core(cluster).create_namespaced_config_map(namespace, {"metadata": {"name": "g"}})
    assert cm.metadata.generation is None
    dep = client.AppsV1Api(cluster.api_client()).create_namespaced_deployment(namespace, _deployment("d"))
    assert dep.metadata.generation == 1


def _deployment(name):
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "main", "image": "busybox"}]}}}}


def test_delete_configmap_returns_success_status(cluster, namespace):
    created = core(cluster).create_namespaced_config_map(namespace, {"metadata": {"name": "del"}})
    code, body = raw(cluster, "DELETE", cm_path(namespace, "del"))
    assert code == 200
    assert body["kind"] == "Status" and body["status"] == "Success"
    assert body["details"] == {"name": "del", "kind": "configmaps", "uid": created.metadata.uid}
    code, body = raw(cluster, "DELETE", cm_path(namespace, "del"))
    assert code == 404 and body["message"] == 'configmaps "del" not found'


def test_delete_custom_resource_returns_the_object(cluster, namespace):
    custom(cluster).create_namespaced_custom_object(*NVJ[:2], namespace, NVJ[2], nvj_body("gone"))
    out = custom(cluster).delete_namespaced_custom_object(*NVJ[:2], namespace, NVJ[2], "gone",
                                                          propagation_policy="Foreground")
    assert out["kind"] == "NotebookValidationJob" and out["metadata"]["name"] == "gone"


def test_delete_preconditions(cluster, namespace):
    api = core(cluster)
    obj = api.create_namespaced_config_map(namespace, {"metadata": {"name": "pre"}})
    with pytest.raises(ApiException) as err:
        api.delete_namespaced_config_map("pre", namespace, body=client.V1DeleteOptions(
            preconditions=client.V1Preconditions(uid="11111111-1111-1111-1111-111111111111")))
    assert err.value.status == 409
    assert _body(err)["message"] == (
        'Operation cannot be fulfilled on configmaps "pre": Precondition failed: UID in precondition: '
        f'11111111-1111-1111-1111-111111111111, UID in object meta: {obj.metadata.uid}')
    with pytest.raises(ApiException) as err:
        api.delete_namespaced_config_map("pre", namespace, body=client.V1DeleteOptions(
            preconditions=client.V1Preconditions(resource_version="1")))
    assert err.value.status == 409 and "Precondition failed: ResourceVersion in precondition: 1" in _body(err)[
        "message"]
    api.delete_namespaced_config_map("pre", namespace, body=client.V1DeleteOptions(
        preconditions=client.V1Preconditions(uid=obj.metadata.uid, resource_version=obj.metadata.resource_version)))


def test_finalizers_delay_deletion_until_cleared(cluster, namespace):
    api = custom(cluster)
    api.create_namespaced_custom_object(*NVJ[:2], namespace, NVJ[2], nvj_body("fin", finalizers=["example.com/x"]))
    marked = api.delete_namespaced_custom_object(*NVJ[:2], namespace, NVJ[2], "fin")
    assert marked["metadata"]["deletionTimestamp"]
    still = api.get_namespaced_custom_object(*NVJ[:2], namespace, NVJ[2], "fin")
    assert still["metadata"]["deletionTimestamp"] and still["metadata"]["finalizers"] == ["example.com/x"]
    api.patch_namespaced_custom_object(*NVJ[:2], namespace, NVJ[2], "fin", {"metadata": {"finalizers": None}})
    with pytest.raises(ApiException) as err:
        api.get_namespaced_custom_object(*NVJ[:2], namespace, NVJ[2], "fin")
    assert err.value.status == 404


def test_dry_run_persists_nothing(cluster, namespace):
    api = core(cluster)
    out = api.create_namespaced_config_map(namespace, {"metadata": {"name": "dry"}, "data": {"a": "1"}},
                                           dry_run="All")
    assert out.metadata.name == "dry" and out.metadata.uid
    with pytest.raises(ApiException):
        api.read_namespaced_config_map("dry", namespace)
    real = api.create_namespaced_config_map(namespace, {"metadata": {"name": "dry"}, "data": {"a": "1"}})
    patched = api.patch_namespaced_config_map("dry", namespace, {"data": {"a": "2"}}, dry_run="All")
    assert patched.data == {"a": "2"}
    api.replace_namespaced_config_map("dry", namespace, {"metadata": {"name": "dry"}, "data": {"b": "3"}},
                                      dry_run="All")
    api.delete_namespaced_config_map("dry", namespace, dry_run="All")
    kept = api.read_namespaced_config_map("dry", namespace)
    assert kept.data == {"a": "1"} and kept.metadata.resource_version == real.metadata.resource_version
    code, body = raw(cluster, "POST", cm_path(namespace), {"metadata": {"name": "x"}}, query={"dryRun": "Some"})
    assert code == 400


def test_list_shape(cluster, namespace):
    api = custom(cluster)
    for name in ("b", "a"):
        api.create_namespaced_custom_object(*NVJ[:2], namespace, NVJ[2], nvj_body(name))
    listing = api.list_namespaced_custom_object(*NVJ[:2], namespace, NVJ[2])
    assert listing["kind"] == "NotebookValidationJobList"
    assert listing["apiVersion"] == "mlops.mlops.dev/v1alpha1"
    assert re.fullmatch(r"\d+", listing["metadata"]["resourceVersion"])
    assert [i["metadata"]["name"] for i in listing["items"]] == ["a", "b"]
    assert all(i["kind"] == "NotebookValidationJob" for i in listing["items"])


def test_cluster_wide_list_of_namespaced_kind(cluster, namespace):
    core(cluster).create_namespaced_pod(namespace, {"metadata": {"name": "p", "labels": {"mark": namespace}},
                                                    "spec": {"containers": [{"name": "c", "image": "i"}]}})
    pods = core(cluster).list_pod_for_all_namespaces(label_selector=f"mark={namespace}")
    assert [(p.metadata.namespace, p.metadata.name) for p in pods.items] == [(namespace, "p")]
    code, body = raw(cluster, "GET", "/api/v1/pods", query={"labelSelector": f"mark={namespace}"})
    assert code == 200 and body["kind"] == "PodList"


def test_pod_create_resets_status_to_pending(cluster, namespace):
    pod = core(cluster).create_namespaced_pod(namespace, {
        "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c", "image": "i"}]},
        "status": {"phase": "Running"}})
    assert pod.status.phase == "Pending"


def test_deletecollection_with_selectors(cluster, namespace):
    api = core(cluster)
    for i in range(6):
        api.create_namespaced_config_map(namespace, {"metadata": {"name": f"c{i}",
                                                                  "labels": {"batch": "odd" if i % 2 else "even"}}})
    api.delete_collection_namespaced_config_map(namespace, label_selector="batch=odd")
    left = sorted(c.metadata.name for c in api.list_namespaced_config_map(namespace).items)
    assert left == ["c0", "c2", "c4"]
    api.delete_collection_namespaced_config_map(namespace, field_selector="metadata.name=c2")
    assert sorted(c.metadata.name for c in api.list_namespaced_config_map(namespace).items) == ["c0", "c4"]


def test_namespace_delete_removes_its_objects(cluster):
    api = core(cluster)
    name = f"t-cascade-{uuid.uuid4().hex[:6]}"
    api.create_namespace({"metadata": {"name": name}})
    api.create_namespaced_config_map(name, {"metadata": {"name": "inner"}})
    api.delete_namespace(name)
    import time

    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            api.read_namespace(name)
        except ApiException as exc:
            assert exc.status == 404
            break
        time.sleep(0.5)
    with pytest.raises(ApiException) as err:
        api.read_namespaced_config_map("inner", name)
    assert err.value.status == 404


def test_new_namespace_is_active_with_name_label(cluster, namespace):
    ns = core(cluster).read_namespace(namespace)
    assert ns.status.phase == "Active"
    assert ns.metadata.labels["kubernetes.io/metadata.name"] == namespace


def test_unsupported_method_is_405(cluster, namespace):
    code, body = raw(cluster, "POST", cm_path(namespace, "named"), {"metadata": {"name": "named"}})
    assert code == 405 and body["reason"] == "MethodNotAllowed"
