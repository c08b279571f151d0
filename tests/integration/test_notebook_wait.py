"""The wave wait against the cluster: it watches (one list, then watch) until every selected job
succeeded, fails fast on a failed job, times out naming what still runs, rejects an empty selection,
and recovers from an expired resourceVersion. Phases are flipped by another thread through the
status subresource while the wait is watching, as the Go operator would."""

import threading
import time

import pytest

from ansible_collections.mlops.gitops.plugins.module_utils import nvj, notebook_wait
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi, KubeError
from harness.world import create_job, set_phase

DONE = "2026-01-24T22:30:00Z"


def later(delay, action):
    """Run ``action`` after ``delay`` seconds in another thread (the operator finishing a job)."""
    thread = threading.Timer(delay, action)
    thread.start()
    return thread


class ChangeOnWatch(KubeApi):
    """The real client; ``action`` runs in another thread ``delay`` seconds after the wait opens its ``nth``
    watch. The watch starts at the list's resourceVersion, so the change reaches the wait through that
    watch, never through the list before it, however slow the cluster (a timer started with the wait
    could fire before its first list on a loaded machine or a remote cluster)."""

    def __init__(self, api, action, delay=0.8, nth=1):
        super().__init__(api.client)
        self.action, self.delay, self.nth = action, delay, nth
        self.opened, self.timer = 0, None

    def watch(self, *args, **kwargs):
        self.opened += 1
        if self.opened == self.nth:
            self.timer = later(self.delay, self.action)
        return super().watch(*args, **kwargs)

    def join(self):
        if self.timer is not None:
            self.timer.join()


def wave3(api, namespace):
    """Two wave-3 jobs (one done, one running) and a running wave-4 job the wait must ignore."""
    create_job(api, namespace, "prepare", wave="3")
    set_phase(api, namespace, "prepare", "Succeeded", completed=DONE)
    create_job(api, namespace, "train", wave="3", annotations={nvj.ANN_BLOCK_WAVE: "5"})
    set_phase(api, namespace, "train", "ValidationRunning")
    create_job(api, namespace, "serve-check", wave="4")
    set_phase(api, namespace, "serve-check", "Initializing")


def names(states):
    return [s["name"] for s in states]


def test_succeeds_when_the_last_job_succeeds_while_watching(api, namespace):
    wave3(api, namespace)
    watching = ChangeOnWatch(api, lambda: set_phase(api, namespace, "train", "Succeeded", completed=DONE))
    try:
        result = notebook_wait.wait(watching, namespace, notebook_wait.Selector(wave="3"), timeout=20, watch_timeout=10)
    finally:
        watching.join()
    assert not result.get("failed"), result.get("msg")
    assert names(result["succeeded_jobs"]) == ["prepare", "train"]
    assert result["pending_jobs"] == [] and result["failed_jobs"] == []
    assert 0.5 < result["elapsed"] < 15
    assert result["watches"] == 1  # woken by the watch event, not by a poll or a watch timeout


def test_fails_fast_naming_the_failed_job(api, namespace):
    wave3(api, namespace)
    watching = ChangeOnWatch(api, lambda: set_phase(api, namespace, "train", "Failed", completed=DONE,
                                                    message="ModuleNotFoundError: No module named 'sklearn'"))
    try:
        result = notebook_wait.wait(watching, namespace, notebook_wait.Selector(wave="3"), timeout=30, watch_timeout=10)
    finally:
        watching.join()
    assert result["failed"] is True and not result.get("timed_out")
    assert result["elapsed"] < 15
    assert names(result["failed_jobs"]) == ["train"]
    assert "train: ModuleNotFoundError: No module named 'sklearn'" in result["msg"]
    assert "sync-wave 3" in result["msg"] and namespace in result["msg"]


def test_times_out_listing_what_still_runs(api, namespace):
    wave3(api, namespace)
    result = notebook_wait.wait(api, namespace, notebook_wait.Selector(wave="3"), timeout=2, watch_timeout=1)
    assert result["failed"] is True and result["timed_out"] is True
    assert "timed out after 2s" in result["msg"]
    assert "1 of 2 not Succeeded yet: train (ValidationRunning)" in result["msg"]
    assert names(result["pending_jobs"]) == ["train"]
    assert 1.5 <= result["elapsed"] < 10


def test_empty_selection_is_an_error(api, namespace):
    wave3(api, namespace)
    result = notebook_wait.wait(api, namespace, notebook_wait.Selector(wave="33"), timeout=5)
    assert result["failed"] is True and "none matched" in result["msg"] and "sync-wave 33" in result["msg"]
    missing = notebook_wait.wait(api, namespace, notebook_wait.Selector(names=["prepare", "typo"]), timeout=5)
    assert missing["failed"] is True and "missing: typo" in missing["msg"]


def test_block_wave_application_and_names_select(api, namespace):
    wave3(api, namespace)
    create_job(api, namespace, "other-app", wave="3", labels={"app.kubernetes.io/instance": "fraud"})
    set_phase(api, namespace, "other-app", "Succeeded", completed=DONE)
    set_phase(api, namespace, "train", "Succeeded", completed=DONE)

    blocking = notebook_wait.wait(api, namespace, notebook_wait.Selector(block_wave="5"), timeout=5)
    assert names(blocking["succeeded_jobs"]) == ["train"]
    by_app = notebook_wait.wait(api, namespace, notebook_wait.Selector(application="fraud"), timeout=5)
    assert names(by_app["succeeded_jobs"]) == ["other-app"]
    both = notebook_wait.wait(api, namespace, notebook_wait.Selector(wave="3", names=["prepare", "train"]), timeout=5)
    assert names(both["succeeded_jobs"]) == ["prepare", "train"] and not both.get("failed")


def test_selector_needs_a_criterion_and_integer_waves():
    with pytest.raises(ValueError, match="give wave, block_wave, application or names"):
        notebook_wait.Selector()
    with pytest.raises(ValueError, match="wave must be an integer"):
        notebook_wait.Selector(wave="three")


class FirstListExpired(ChangeOnWatch):
    """The real client, except that the first list's resourceVersion is one the server has compacted
    away (as after a long pause): the server then answers the watch with a real 410 Expired. The job
    finishes once the second watch (after the list again) is open."""

    def __init__(self, api, action):
        super().__init__(api, action, delay=1.0, nth=2)
        self.lists = 0

    def snapshot(self, *args, **kwargs):
        items, version = super().snapshot(*args, **kwargs)
        self.lists += 1
        return items, ("1" if self.lists == 1 else version)


def test_lists_once_then_watches_and_relists_after_410(api, namespace, kube):
    wave3(api, namespace)
    kube.clear_log()
    expiring = FirstListExpired(api, lambda: set_phase(api, namespace, "train", "Succeeded", completed=DONE))
    try:
        result = notebook_wait.wait(expiring, namespace, notebook_wait.Selector(wave="3"), timeout=20, watch_timeout=10)
    finally:
        expiring.join()
    assert not result.get("failed"), result.get("msg")
    assert expiring.lists == 2
    ours = [e for e in kube.request_log if e.get("resource") == "notebookvalidationjobs"
            and e.get("namespace") == namespace and e.get("method") == "GET"]
    verbs = [e["verb"] for e in ours]
    assert verbs == ["list", "watch", "list", "watch"], verbs  # 410: list again, watch from there; no polling


def test_expired_version_in_the_stream_raises_410(api, namespace, kube):
    stream = api.watch(nvj.API_VERSION, nvj.KIND, namespace=namespace, resource_version="1", timeout_seconds=2)
    with pytest.raises(KubeError) as info:
        list(stream)
    assert info.value.status == 410


def test_deleted_job_is_not_success(api, namespace):
    create_job(api, namespace, "train", wave="3")
    set_phase(api, namespace, "train", "ValidationRunning")
    watching = ChangeOnWatch(api, lambda: api.delete(nvj.API_VERSION, nvj.KIND, "train", namespace), delay=0.5)
    try:
        result = notebook_wait.wait(watching, namespace, notebook_wait.Selector(wave="3"), timeout=3, watch_timeout=2)
    finally:
        watching.join()
    assert result["timed_out"] is True and "train ((deleted))" in result["msg"]


def wait_task(run):
    """The wait task's result; its name goes on with what it waits for (shown on every progress line)."""
    found = [res for name, res in run.tasks if name.startswith("Wait until the selected NotebookValidationJobs")]
    assert found, (run.tasks, run.stderr[-2000:])
    return found[-1]


def test_playbook_waits_and_fails_with_the_message(playbook, api, namespace):
    create_job(api, namespace, "train", wave="3")
    set_phase(api, namespace, "train", "ValidationRunning")
    timer = later(3.0, lambda: set_phase(api, namespace, "train", "Succeeded", completed=DONE))
    try:
        start = time.monotonic()
        ok = playbook.run(None, playbook="mlops.gitops.wait_for_wave",
                          extra_vars={"job_namespace": namespace, "wave": 3, "wait_timeout": 60})
    finally:
        timer.join()
    assert ok.rc == 0, ok.stdout[-2000:] + ok.stderr[-2000:]
    waited = wait_task(ok)
    assert [s["name"] for s in waited["succeeded_jobs"]] == ["train"]
    assert time.monotonic() - start < 60

    # Blank answers (what an AWX survey sends for optional questions) count as unset.
    bad = playbook.run(None, playbook="mlops.gitops.wait_for_wave",
                       extra_vars={"job_namespace": namespace, "application": "no-such-app", "wait_timeout": 5,
                                   "wave": "", "block_wave": "", "names": ""})
    assert bad.rc != 0
    failed = wait_task(bad)
    assert "Application no-such-app" in failed["msg"] and "none matched" in failed["msg"]
    assert failed["invocation"]["module_args"].get("wave") is None
