"""Issue 14 item 23: the wait against the cluster when the API throttles or blinks, when the selected jobs
leave the selection while it waits, and when a 410 makes it list again. The client is the real one; the
throttling is injected in front of it (the request never reaches the server), everything else is the server's."""

from ansible_collections.mlops.gitops.plugins.module_utils import nvj, notebook_wait
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi, KubeError
from tests.integration.test_notebook_wait import ChangeOnWatch
from harness.world import create_job, set_phase

DONE = "2026-01-24T22:30:00Z"


def names(states):
    return [s["name"] for s in states]


def rewave(api, namespace, name, wave):
    api.patch(nvj.API_VERSION, nvj.KIND, name, {"metadata": {"annotations": {nvj.ANN_SYNC_WAVE: wave}}},
              namespace=namespace)


class Throttled(ChangeOnWatch):
    """The first list answers 503, the first two watches 429 and 503 (as a throttled or restarting API
    server does); the job succeeds once the third watch is open."""

    def __init__(self, api, action):
        super().__init__(api, action, delay=0.5, nth=3)
        self.lists, self.watches = 0, 0

    def snapshot(self, *args, **kwargs):
        self.lists += 1
        if self.lists == 1:
            raise KubeError(503, "ServiceUnavailable", "the server is currently unable to handle the request")
        return super().snapshot(*args, **kwargs)

    def watch(self, *args, **kwargs):
        self.watches += 1
        if self.watches in (1, 2):
            self.opened += 1
            raise KubeError(429 if self.watches == 1 else 503, "TooManyRequests", "slow down")
        return super().watch(*args, **kwargs)


def test_a_throttled_or_unavailable_api_is_waited_out(api, namespace):
    create_job(api, namespace, "train")
    set_phase(api, namespace, "train", "ValidationRunning")
    sleeps = []
    throttled = Throttled(api, lambda: set_phase(api, namespace, "train", "Succeeded", completed=DONE))
    try:
        result = notebook_wait.wait(throttled, namespace, notebook_wait.Selector(wave="3"), timeout=30,
                                    watch_timeout=10, sleep=lambda s: sleeps.append(s))
    finally:
        throttled.join()
    assert not result.get("failed"), result.get("msg")
    assert names(result["succeeded_jobs"]) == ["train"]
    assert throttled.lists == 2 and throttled.watches == 3
    assert len(sleeps) == 3 and all(0 < s <= 10 for s in sleeps)  # backed off each time


def test_forbidden_is_still_fatal(api, namespace):
    create_job(api, namespace, "train")

    class Forbidden(KubeApi):
        def watch(self, *args, **kwargs):
            raise KubeError(403, "Forbidden", "cannot watch", target="x", verb="watch")

    set_phase(api, namespace, "train", "ValidationRunning")
    try:
        notebook_wait.wait(Forbidden(api.client), namespace, notebook_wait.Selector(wave="3"), timeout=5)
    except KubeError as exc:
        assert exc.status == 403
    else:
        raise AssertionError("a 403 must end the wait")


def test_a_selection_that_empties_while_waiting_is_an_error(api, namespace):
    for name in ("prepare", "train"):
        create_job(api, namespace, name)
        set_phase(api, namespace, name, "ValidationRunning")

    def move_both():
        rewave(api, namespace, "prepare", "4")
        rewave(api, namespace, "train", "4")

    watching = ChangeOnWatch(api, move_both)
    try:
        result = notebook_wait.wait(watching, namespace, notebook_wait.Selector(wave="3"), timeout=20, watch_timeout=10)
    finally:
        watching.join()
    assert result["failed"] is True and not result.get("timed_out"), result
    assert result["succeeded_jobs"] == []
    assert "prepare, train left the selection" in result["msg"], result["msg"]


class ExpiredThenChanged(ChangeOnWatch):
    """The first list's resourceVersion has expired (the server answers the watch with 410); before the
    wait lists again, ``train`` moves to another wave and ``prepare`` succeeds."""

    def __init__(self, api, namespace):
        super().__init__(api, lambda: None, nth=99)
        self.namespace, self.lists = namespace, 0

    def snapshot(self, *args, **kwargs):
        self.lists += 1
        if self.lists == 2:
            rewave(self._api, self.namespace, "train", "4")
            set_phase(self._api, self.namespace, "prepare", "Succeeded", completed=DONE)
        items, version = super().snapshot(*args, **kwargs)
        return items, ("1" if self.lists == 1 else version)


def test_after_a_410_a_job_that_left_the_selection_is_not_taken_for_deleted(api, namespace):
    for name in ("prepare", "train"):
        create_job(api, namespace, name)
        set_phase(api, namespace, name, "ValidationRunning")
    expiring = ExpiredThenChanged(api, namespace)
    expiring._api = api
    result = notebook_wait.wait(expiring, namespace, notebook_wait.Selector(wave="3"), timeout=8, watch_timeout=4)
    assert expiring.lists == 2
    assert not result.get("failed"), result.get("msg")
    assert names(result["succeeded_jobs"]) == ["prepare"] and result["pending_jobs"] == []
