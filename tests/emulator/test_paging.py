"""limit/continue paging: stable namespace/name order, remainingItemCount, bad tokens."""

import pytest
from kube_contract import raw
from kubernetes import client


@pytest.fixture
def many(cluster, namespace):
    """1,200 ConfigMaps, created in scrambled order."""
    api = client.CoreV1Api(cluster.api_client())
    names = [f"cm-{(i * 7919) % 1200:04d}" for i in range(1200)]
    if cluster.emulator is not None:  # same objects, without 1,200 round trips
        cluster.emulator.load([{"apiVersion": "v1", "kind": "ConfigMap",
                                "metadata": {"name": n, "namespace": namespace,
                                             "labels": {"parity": "even" if int(n[3:]) % 2 == 0 else "odd"}},
                                "data": {"n": n}} for n in names])
    else:
        for n in names:
            api.create_namespaced_config_map(namespace, {"metadata": {
                "name": n, "labels": {"parity": "even" if int(n[3:]) % 2 == 0 else "odd"}}})
    return namespace


def test_pages_cover_everything_once_in_order(cluster, many):
    api = client.CoreV1Api(cluster.api_client())
    seen, token, pages = [], None, 0
    while True:
        page = api.list_namespaced_config_map(many, limit=250, _continue=token)
        pages += 1
        seen.extend(i.metadata.name for i in page.items)
        token = page.metadata._continue
        if pages == 1:
            assert page.metadata.remaining_item_count == 950
        if not token:
            assert page.metadata.remaining_item_count is None
            break
    assert pages == 5
    assert seen == sorted(f"cm-{i:04d}" for i in range(1200))


def test_continue_with_label_selector_has_no_remaining_count(cluster, many):
    api = client.CoreV1Api(cluster.api_client())
    first = api.list_namespaced_config_map(many, limit=500, label_selector="parity=odd")
    assert len(first.items) == 500 and first.metadata._continue
    assert first.metadata.remaining_item_count is None
    rest = api.list_namespaced_config_map(many, limit=500, label_selector="parity=odd",
                                          _continue=first.metadata._continue)
    assert len(rest.items) == 100 and not rest.metadata._continue
    assert all(int(i.metadata.name[3:]) % 2 for i in first.items + rest.items)


def test_objects_created_during_paging_after_the_cursor_show_up(cluster, many):
    api = client.CoreV1Api(cluster.api_client())
    first = api.list_namespaced_config_map(many, limit=600)
    api.delete_namespaced_config_map("cm-0000", many)
    rest = api.list_namespaced_config_map(many, limit=1000, _continue=first.metadata._continue)
    assert len(first.items) + len(rest.items) == 1200
    assert first.items[-1].metadata.name < rest.items[0].metadata.name


def test_invalid_continue_token_is_rejected(cluster, namespace):
    code, body = raw(cluster, "GET", f"/api/v1/namespaces/{namespace}/configmaps",
                     query={"limit": "10", "continue": "not-a-token"})
    assert code in (400, 410) and body["kind"] == "Status"
    assert body["reason"] in ("BadRequest", "Expired")


def test_expired_continue_token_is_410(emulator, cluster, namespace):
    api = client.CoreV1Api(cluster.api_client())
    for i in range(3):
        api.create_namespaced_config_map(namespace, {"metadata": {"name": f"c{i}"}})
    token = api.list_namespaced_config_map(namespace, limit=1).metadata._continue
    old_limit = emulator.store.history_limit
    emulator.store.history_limit = 1
    try:
        api.create_namespaced_config_map(namespace, {"metadata": {"name": "c9"}})
        api.create_namespaced_config_map(namespace, {"metadata": {"name": "c10"}})
    finally:
        emulator.store.history_limit = old_limit
    code, body = raw(cluster, "GET", f"/api/v1/namespaces/{namespace}/configmaps",
                     query={"limit": "1", "continue": token})
    assert code == 410 and body["reason"] == "Expired"
    assert body["message"].startswith("The provided continue parameter is too old")


def test_dynamic_client_pages(cluster, many):
    res = cluster.dynamic().resources.get(api_version="v1", kind="ConfigMap")
    page = res.get(namespace=many, limit=1000)
    assert len(page.items) == 1000 and page.metadata["continue"]
