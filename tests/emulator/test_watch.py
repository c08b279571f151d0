"""Watch: synthetic ADDED, live events in order, resume from a resourceVersion, 410, bookmarks, selectors."""

import threading
import time

from kube_contract import raw
from kubernetes import client, watch


def _cm(name, labels=None):
    return {"metadata": {"name": name, "labels": labels or {}}}


def _later(delay, fn, *args):
    timer = threading.Timer(delay, fn, args)
    timer.start()
    return timer


def test_watch_stream_initial_then_live_events_in_order(cluster, namespace):
    api = client.CoreV1Api(cluster.api_client())
    api.create_namespaced_config_map(namespace, _cm("first"))

    def writes():
        api.create_namespaced_config_map(namespace, _cm("second"))
        api.patch_namespaced_config_map("second", namespace, {"data": {"a": "1"}})
        api.delete_namespaced_config_map("first", namespace)

    timer = _later(0.3, writes)
    events = []
    w = watch.Watch()
    for event in w.stream(api.list_namespaced_config_map, namespace, timeout_seconds=5):
        events.append((event["type"], event["object"].metadata.name))
        if len(events) == 4:
            w.stop()
    timer.join()
    assert events == [("ADDED", "first"), ("ADDED", "second"), ("MODIFIED", "second"), ("DELETED", "first")]


def test_watch_from_resource_version_replays_history(cluster, namespace):
    api = client.CoreV1Api(cluster.api_client())
    start = api.list_namespaced_config_map(namespace).metadata.resource_version
    api.create_namespaced_config_map(namespace, _cm("a"))
    api.patch_namespaced_config_map("a", namespace, {"data": {"x": "1"}})
    code, text = raw(cluster, "GET", f"/api/v1/namespaces/{namespace}/configmaps",
                     query={"watch": "true", "resourceVersion": start, "timeoutSeconds": "1"})
    assert code == 200
    import json

    lines = [json.loads(line) for line in text.splitlines() if line.strip()] if isinstance(text, str) else [text]
    assert [(e["type"], e["object"]["metadata"]["name"]) for e in lines] == [("ADDED", "a"), ("MODIFIED", "a")]
    rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in lines]
    assert rvs == sorted(rvs) and rvs[0] > int(start)


def test_watch_times_out(cluster, namespace):
    api = client.CoreV1Api(cluster.api_client())
    started = time.monotonic()
    events = list(watch.Watch().stream(api.list_namespaced_config_map, namespace, timeout_seconds=1))
    assert events == [] and time.monotonic() - started < 5


def test_watch_label_selector_turns_label_changes_into_added_and_deleted(cluster, namespace):
    api = client.CoreV1Api(cluster.api_client())
    api.create_namespaced_config_map(namespace, _cm("x", {"watched": "no"}))

    def writes():
        api.patch_namespaced_config_map("x", namespace, {"metadata": {"labels": {"watched": "yes"}}})
        api.patch_namespaced_config_map("x", namespace, {"data": {"a": "1"}})
        api.patch_namespaced_config_map("x", namespace, {"metadata": {"labels": {"watched": "no"}}})
        api.create_namespaced_config_map(namespace, _cm("other", {"watched": "no"}))

    timer = _later(0.3, writes)
    w = watch.Watch()
    events = []
    for event in w.stream(api.list_namespaced_config_map, namespace, label_selector="watched=yes",
                          timeout_seconds=5):
        events.append(event["type"])
        if len(events) == 3:
            w.stop()
    timer.join()
    assert events == ["ADDED", "MODIFIED", "DELETED"]


def test_watch_single_object_by_field_selector(cluster, namespace):
    res = cluster.dynamic().resources.get(api_version="mlops.mlops.dev/v1alpha1", kind="NotebookValidationJob")
    body = {"apiVersion": "mlops.mlops.dev/v1alpha1", "kind": "NotebookValidationJob",
            "metadata": {"name": "w", "namespace": namespace}, "spec": {}}
    res.create(body=body, namespace=namespace)
    res.create(body={**body, "metadata": {"name": "other", "namespace": namespace}}, namespace=namespace)

    def writes():
        res.status.patch(body={"metadata": {"name": "other"}, "status": {"phase": "Running"}}, namespace=namespace,
                         content_type="application/merge-patch+json")
        res.status.patch(body={"metadata": {"name": "w"}, "status": {"phase": "Succeeded"}}, namespace=namespace,
                         content_type="application/merge-patch+json")

    timer = _later(0.3, writes)
    w = watch.Watch()
    seen = []
    for event in res.watch(namespace=namespace, name="w", timeout=5, watcher=w):
        seen.append((event["type"], event["object"].metadata.name, (event["raw_object"].get("status") or {})))
        if len(seen) == 2:
            w.stop()
    timer.join()
    assert seen == [("ADDED", "w", {}), ("MODIFIED", "w", {"phase": "Succeeded"})]


def test_too_old_resource_version_gives_410_error_event(emulator, cluster, namespace):
    api = client.CoreV1Api(cluster.api_client())
    old_rv = api.list_namespaced_config_map(namespace).metadata.resource_version
    limit = emulator.store.history_limit
    emulator.store.history_limit = 2
    try:
        for i in range(4):
            api.create_namespaced_config_map(namespace, _cm(f"c{i}"))
    finally:
        emulator.store.history_limit = limit
    code, event = raw(cluster, "GET", f"/api/v1/namespaces/{namespace}/configmaps",
                      query={"watch": "1", "resourceVersion": old_rv, "timeoutSeconds": "2"})
    assert code == 200
    assert event["type"] == "ERROR"
    status = event["object"]
    assert status["kind"] == "Status" and status["code"] == 410 and status["reason"] == "Expired"
    assert status["message"].startswith(f"too old resource version: {old_rv}")


def test_watch_stream_raises_on_410(emulator, cluster, namespace):
    import pytest

    api = client.CoreV1Api(cluster.api_client())
    old_rv = api.list_namespaced_config_map(namespace).metadata.resource_version
    limit = emulator.store.history_limit
    emulator.store.history_limit = 1
    try:
        for i in range(3):
            api.create_namespaced_config_map(namespace, _cm(f"c{i}"))
    finally:
        emulator.store.history_limit = limit
    with pytest.raises(client.ApiException) as err:
        for _ in watch.Watch().stream(api.list_namespaced_config_map, namespace, resource_version=old_rv,
                                      timeout_seconds=2, _request_timeout=5):
            pass
    assert err.value.status == 410


def test_bookmarks(cluster, namespace):
    code, text = raw(cluster, "GET", f"/api/v1/namespaces/{namespace}/configmaps",
                     query={"watch": "1", "allowWatchBookmarks": "true", "timeoutSeconds": "1"})
    import json

    events = [json.loads(line) for line in text.splitlines() if line.strip()] if isinstance(text, str) else [text]
    assert all(e["type"] == "BOOKMARK" for e in events)
    if cluster.emulator is not None:  # a real server may send none within one second
        assert events
        assert events[-1]["object"]["kind"] == "ConfigMap" and events[-1]["object"]["metadata"]["resourceVersion"]


def test_send_initial_events_ends_with_marked_bookmark(emulator, cluster, namespace):
    """WatchList streaming; emulator only (real servers need the WatchList feature)."""
    client.CoreV1Api(cluster.api_client()).create_namespaced_config_map(namespace, _cm("i"))
    code, text = raw(cluster, "GET", f"/api/v1/namespaces/{namespace}/configmaps",
                     query={"watch": "1", "allowWatchBookmarks": "true", "sendInitialEvents": "true",
                            "resourceVersionMatch": "NotOlderThan", "timeoutSeconds": "1"})
    import json

    events = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert events[0]["type"] == "ADDED" and events[1]["type"] == "BOOKMARK"
    assert events[1]["object"]["metadata"]["annotations"] == {"k8s.io/initial-events-end": "true"}


def test_cluster_wide_watch(cluster, namespace):
    api = client.CoreV1Api(cluster.api_client())
    timer = _later(0.3, api.create_namespaced_config_map, namespace, _cm("cw", {"mark": namespace}))
    w = watch.Watch()
    for event in w.stream(api.list_config_map_for_all_namespaces, label_selector=f"mark={namespace}",
                          timeout_seconds=5):
        assert (event["type"], event["object"].metadata.namespace) == ("ADDED", namespace)
        w.stop()
    timer.join()
