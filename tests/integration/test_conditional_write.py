"""``KubeApi.conditional_write``, the one primitive every feature writes through (issue 15): read, decide,
write with the resourceVersion, and on 409 read and decide again, with one budget and one give-up.
Against the real kube-apiserver; the 409s are the server's own (a stale object) or injected by the proxy."""

import pytest

from ansible_collections.mlops.gitops.plugins.module_utils import kube as kube_layer

CM = ("v1", "ConfigMap")


def make_cm(api, namespace, name="cfg", data=None):
    body = {"metadata": {"name": name, "namespace": namespace}, "data": dict(data or {"a": "1"})}
    return api.create(*CM, body, namespace=namespace)


def cm_requests(kube, namespace):
    return [(e["verb"], e["code"]) for e in kube.request_log
            if e["resource"] == "configmaps" and e["namespace"] == namespace]


def add_key(key, value):
    """A decide that adds ``key`` unless it is there, and records what it was shown."""
    seen = []

    def decide(obj):
        seen.append(obj)
        if obj is None or (obj.get("data") or {}).get(key) == value:
            return None
        return {"data": {key: value}}

    return decide, seen


def test_nothing_to_write_sends_nothing(api, kube, namespace):
    current = make_cm(api, namespace)
    kube.clear_log()
    decide, seen = add_key("a", "1")
    written = api.conditional_write(*CM, "cfg", namespace, decide, current=current)
    assert not written.written and written.deferred is None and written.attempts == 0
    assert written.object is current and seen == [current]
    assert cm_requests(kube, namespace) == []  # decided on the object the caller held: not even a read


def test_reads_decides_and_writes(api, kube, namespace):
    make_cm(api, namespace)
    kube.clear_log()
    decide, _seen = add_key("b", "2")
    written = api.conditional_write(*CM, "cfg", namespace, decide)
    assert written.written and written.patch == {"data": {"b": "2"}} and written.attempts == 1
    assert written.object["data"] == {"a": "1", "b": "2"}
    assert cm_requests(kube, namespace) == [("get", 200), ("patch", 200)]
    assert api.get(*CM, "cfg", namespace)["data"] == {"a": "1", "b": "2"}


def test_a_stale_object_is_a_real_409_then_decided_again_on_the_fresh_one(api, kube, namespace):
    stale = make_cm(api, namespace)
    api.patch(*CM, "cfg", {"data": {"other": "writer"}}, namespace=namespace)  # another writer, meanwhile
    kube.clear_log()
    decide, seen = add_key("b", "2")
    written = api.conditional_write(*CM, "cfg", namespace, decide, current=stale)
    assert written.written and written.attempts == 2
    # The server refused the write decided on the stale copy: the resourceVersion went with the patch.
    assert cm_requests(kube, namespace) == [("patch", 409), ("get", 200), ("patch", 200)]
    assert not any(e.get("injected") for e in kube.request_log)
    assert seen[0] is stale and seen[1]["data"] == {"a": "1", "other": "writer"}
    assert api.get(*CM, "cfg", namespace)["data"] == {"a": "1", "other": "writer", "b": "2"}


def test_a_decision_the_fresh_object_makes_moot_is_not_written(api, kube, namespace):
    stale = make_cm(api, namespace)
    api.patch(*CM, "cfg", {"data": {"b": "2"}}, namespace=namespace)  # someone wrote what we wanted
    kube.clear_log()
    decide, _seen = add_key("b", "2")
    written = api.conditional_write(*CM, "cfg", namespace, decide, current=stale)
    assert not written.written and written.deferred is None and written.attempts == 1
    assert cm_requests(kube, namespace) == [("patch", 409), ("get", 200)]


def test_conflicts_within_the_budget_are_retried(api, kube, namespace):
    make_cm(api, namespace)
    kube.clear_log()
    kube.inject_fault(verb="patch", resource="configmaps", namespace=namespace, code=409,
                      count=kube_layer.CONFLICT_ATTEMPTS - 1)
    decide, seen = add_key("b", "2")
    written = api.conditional_write(*CM, "cfg", namespace, decide)
    assert written.written and written.attempts == kube_layer.CONFLICT_ATTEMPTS
    assert len(seen) == kube_layer.CONFLICT_ATTEMPTS  # decided again after every 409
    assert [code for verb, code in cm_requests(kube, namespace) if verb == "patch"] == (
        [409] * (kube_layer.CONFLICT_ATTEMPTS - 1) + [200])
    assert api.get(*CM, "cfg", namespace)["data"]["b"] == "2"


def test_a_conflict_on_every_write_gives_up_with_one_deferral(api, kube, namespace):
    make_cm(api, namespace)
    kube.clear_log()
    kube.inject_fault(verb="patch", resource="configmaps", namespace=namespace, code=409,
                      count=kube_layer.CONFLICT_ATTEMPTS)
    decide, _seen = add_key("b", "2")
    written = api.conditional_write(*CM, "cfg", namespace, decide, what="key b of the config")
    assert not written.written and written.attempts == kube_layer.CONFLICT_ATTEMPTS
    assert written.deferred == {
        "what": "key b of the config",
        "reason": "ConfigMap {0}/cfg changed under every write (HTTP 409, {1} times); decided again later".format(
            namespace, kube_layer.CONFLICT_ATTEMPTS),
        "retry_after": kube_layer.CONFLICT_RETRY_AFTER,
    }
    requests = cm_requests(kube, namespace)
    assert requests.count(("patch", 409)) == kube_layer.CONFLICT_ATTEMPTS
    assert requests[-1] == ("patch", 409)  # no read after the last refusal: nothing would use it
    assert kube.active_faults() == []
    assert "b" not in api.get(*CM, "cfg", namespace)["data"]


def test_gone_when_read_after_a_conflict_is_decided_on_none(api, kube, namespace):
    make_cm(api, namespace)
    decide, seen = add_key("b", "2")
    kube.inject_fault(verb="patch", resource="configmaps", namespace=namespace, code=409)
    first = api.get(*CM, "cfg", namespace)
    api.delete(*CM, "cfg", namespace)  # gone before the re-read that follows the 409
    written = api.conditional_write(*CM, "cfg", namespace, decide, current=first)
    assert not written.written and written.object is None and written.deferred is None
    assert seen == [first, None]


def test_a_404_on_the_write_is_the_callers_to_handle(api, kube, namespace):
    stale = make_cm(api, namespace)
    api.delete(*CM, "cfg", namespace)
    decide, _seen = add_key("b", "2")
    with pytest.raises(kube_layer.KubeError) as info:
        api.conditional_write(*CM, "cfg", namespace, decide, current=stale)
    assert info.value.not_found and info.value.verb == "patch"


def test_other_errors_are_raised(api, kube, namespace):
    make_cm(api, namespace)
    kube.inject_fault(verb="patch", resource="configmaps", namespace=namespace, code=403)
    decide, _seen = add_key("b", "2")
    with pytest.raises(kube_layer.KubeError) as info:
        api.conditional_write(*CM, "cfg", namespace, decide)
    assert info.value.status == 403 and info.value.verb == "patch"


def test_check_mode_sends_the_write_as_a_server_side_dry_run(api, kube, namespace):
    current = make_cm(api, namespace)
    kube.clear_log()
    checking = api.checking(True)
    assert api.checking(False) is api and checking.checking(True) is checking
    decide, _seen = add_key("b", "2")
    written = checking.conditional_write(*CM, "cfg", namespace, decide, current=current)
    assert written.written and written.object["data"] == {"a": "1", "b": "2"}  # as the server would store it
    assert api.get(*CM, "cfg", namespace)["data"] == {"a": "1"}  # and did not
    [patch] = [e for e in kube.request_log if e["verb"] == "patch"]
    assert patch["query"].get("dryRun") == "All" and patch["code"] == 200
    assert api.counts is checking.counts  # one tally of requests for the task


def test_a_dry_run_delete_with_a_uid_precondition_deletes_nothing(api, kube, namespace):
    """With a DeleteOptions body the server ignores the query's dryRun: check mode must say it in the body
    (a trigger's restart deletes pods with a uid precondition; check mode had deleted them for real)."""
    made = make_cm(api, namespace)
    kube.clear_log()
    assert api.checking(True).delete(*CM, "cfg", namespace, uid=made["metadata"]["uid"]) is True
    assert api.get(*CM, "cfg", namespace)["metadata"]["uid"] == made["metadata"]["uid"]
    assert [(e["verb"], e["code"], e["query"].get("dryRun")) for e in kube.request_log if e["verb"] == "delete"] == [
        ("delete", 200, "All")]
    assert api.delete(*CM, "cfg", namespace, uid=made["metadata"]["uid"]) is True  # the real one still works
    assert api.get(*CM, "cfg", namespace) is None
