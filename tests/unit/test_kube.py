"""kube.py's retry budget: the pause before each retry (jittered exponential, or the server's Retry-After) and
the Retry-After forms the API server and proxies send. Through a real server: tests/integration/test_faults.py."""

import datetime
import email.utils
import json
import time
import types

from ansible_collections.mlops.gitops.plugins.module_utils import kube


def test_backoff_grows_with_jitter_and_is_capped():
    for attempt in range(8):
        step = min(kube.RETRY_MAX_DELAY, kube.RETRY_DELAY * 2 ** attempt)
        pauses = {kube.backoff(attempt) for _ in range(200)}
        assert all(step / 2 <= pause <= step for pause in pauses), (attempt, min(pauses), max(pauses))
        assert len(pauses) > 1  # jittered: replicas retrying together spread out
    assert kube.backoff(0, retry_after=3) == 3
    assert kube.backoff(0, retry_after=3600) == kube.RETRY_MAX_DELAY


def test_retry_after_in_seconds_or_as_a_date():
    assert kube._retry_after({"Retry-After": "2"}) == 2.0
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=30)
    seconds = kube._retry_after({"Retry-After": email.utils.format_datetime(later, usegmt=True)})
    assert 25 <= seconds <= 30
    past = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    assert kube._retry_after({"Retry-After": email.utils.format_datetime(past, usegmt=True)}) == 0.0
    assert kube._retry_after({"Retry-After": "soon"}) is None
    assert kube._retry_after({}) is None and kube._retry_after(None) is None


# -- the paged list: the continue token read from the raw body's tail, the next page asked for ahead ---------------
def list_body(items, token=None, metadata_first=False):
    """A list as kube-apiserver writes it: keys sorted, so the list's own metadata comes last."""
    meta = {"resourceVersion": "42"}
    if token:
        meta.update({"continue": token, "remainingItemCount": 7})
    pairs = [("apiVersion", "v1"), ("items", items), ("kind", "ThingList"), ("metadata", meta)]
    if metadata_first:
        pairs.insert(0, pairs.pop())
    return json.dumps(dict(pairs), separators=(",", ":")).encode() + b"\n"


def item(name, text=""):
    return {"metadata": {"name": name, "namespace": "ns"}, "status": {"output": text}}


def test_continue_hint_reads_the_lists_own_metadata_from_the_tail():
    tricky = 'cell printed "metadata":{"continue":"forged"}} and a \\ backslash'
    assert kube.continue_hint(list_body([item("a", tricky), item("b", "x" * 10000)], token="tok-1")) == "tok-1"
    assert kube.continue_hint(list_body([item("a", tricky)], token="tok-1")) == "tok-1"
    assert kube.continue_hint(list_body([item("a")])) is None  # the last page
    assert kube.continue_hint(b"") is None and kube.continue_hint(None) is None
    assert kube.continue_hint(list_body([item("a")], token="tok-1")[:-20]) is None  # cut short: no hint
    # another layout: the tail is an item's metadata, which has no continue; the decoded page decides
    assert kube.continue_hint(list_body([item("a")], token="tok-1", metadata_first=True)) is None


class PagedClient:
    """A dynamic client serving ``pages`` (``{continue token or None: body}``); it records each query."""

    def __init__(self, pages):
        self.pages = pages
        self.queries = []
        self.resources = self

    def get(self, api_version, kind):
        return self

    namespaced = True

    def path(self, name=None, namespace=None):
        return "/apis/x/v1/namespaces/{0}/things".format(namespace)

    def request(self, method, path, body=None, query_params=None, content_type=None, serialize=True,
                _request_timeout=None):
        query = dict(query_params)
        self.queries.append(query)
        return types.SimpleNamespace(data=self.pages[query.get("continue")])


def names(api):
    return [obj["metadata"]["name"] for obj in api.list("x/v1", "Thing", namespace="ns", page_size=2)]


def test_pages_follow_the_decoded_token_when_the_hint_is_wrong():
    """A layout whose tail is not the list's metadata (here an item carries a ``continue`` of its own, the list's
    metadata comes first): the page read ahead on the wrong hint is dropped, the right one read; none counted
    twice."""
    odd = {"metadata": {"name": "b", "continue": "wrong"}}
    pages = {None: list_body([item("a"), odd], token="p2", metadata_first=True),
             "wrong": list_body([item("never")]), "p2": list_body([item("c")])}
    client = PagedClient(pages)
    assert names(kube.KubeApi(client)) == ["a", "b", "c"]
    assert [q.get("continue") for q in client.queries if q.get("continue") != "wrong"] == [None, "p2"]


def test_pages_are_asked_for_ahead_with_every_query_parameter():
    pages = {None: list_body([item("a"), item("b")], token="p2"), "p2": list_body([item("c"), item("d")], token="p3"),
             "p3": list_body([item("e")])}
    client = PagedClient(pages)
    api = kube.KubeApi(client)
    listed = api.list("x/v1", "Thing", namespace="ns", page_size=2, label_selector="app=x", field_selector="f=y")
    assert next(listed)["metadata"]["name"] == "a"
    wait_for(lambda: len(client.queries) == 2)  # page 2 asked for while page 1 is still being read
    assert [obj["metadata"]["name"] for obj in listed] == ["b", "c", "d", "e"]
    assert client.queries == [
        {"limit": 2, "labelSelector": "app=x", "fieldSelector": "f=y"},
        {"limit": 2, "continue": "p2", "labelSelector": "app=x", "fieldSelector": "f=y"},
        {"limit": 2, "continue": "p3", "labelSelector": "app=x", "fieldSelector": "f=y"},
    ]
    assert api.counts == {"list": 3}


def wait_for(condition, timeout=30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in {0} s".format(timeout)
        time.sleep(0.01)
