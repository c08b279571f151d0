"""Sync-wave markers: phase transitions x existing markers -> the merge patch (tests/data/wave_cases/*.yaml)."""

import datetime
import pathlib

import pytest
import yaml

from ansible_collections.mlops.gitops.plugins.module_utils import notebook_wait, notebook_wave, nvj
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi

CASES = sorted((pathlib.Path(__file__).parents[1] / "data" / "wave_cases").glob("*.yaml"))
NOW = datetime.datetime(2026, 2, 1, 12, 0, 0, tzinfo=datetime.UTC)


def test_there_are_cases():
    assert len(CASES) >= 15


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_wave_case(path):
    case = yaml.safe_load(path.read_text())
    assert notebook_wave.marker_changes(case["object"]) == case["expected_changes"], case["description"]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_applying_the_patch_settles(path):
    """After the patch, deciding again finds nothing to do: a second reconcile never writes."""
    job = yaml.safe_load(path.read_text())["object"]
    changes = notebook_wave.marker_changes(job)
    ann = job["metadata"]["annotations"]
    for key, value in changes.items():
        if value is None:
            ann.pop(key, None)
        else:
            ann[key] = value
    assert notebook_wave.marker_changes(job) == {}


def test_patch_is_merge_patch_with_nulls():
    job = {"metadata": {"resourceVersion": "42", "annotations": {nvj.ANN_WAVE_FAILED: "3"}},
           "status": {"phase": "Running"}}
    changes = notebook_wave.marker_changes(job)
    assert notebook_wave.build_patch(changes) == {"metadata": {"annotations": {nvj.ANN_WAVE_FAILED: None}}}


def test_no_completion_time_waits_for_it():
    """A terminal phase without completionTime is the first step of the Go operator's two-step failure:
    marking it with another time would rewrite the marker one step later."""
    job = {"metadata": {"annotations": {nvj.ANN_SYNC_WAVE: "2"}}, "status": {"phase": "Failed"}}
    assert notebook_wave.marker_changes(job) == {}
    job["status"]["completionTime"] = "yesterday"
    assert notebook_wave.marker_changes(job) == {}
    job["status"]["completionTime"] = "2026-02-01T12:00:00Z"
    assert notebook_wave.marker_changes(job) == {nvj.ANN_WAVE_FAILED: "2", nvj.ANN_FAILURE_TIME: "2026-02-01T12:00:00Z"}


class _Recorder(KubeApi):
    """The API layer (its conditional write and check-mode switch) over an in-memory server without a job."""

    def __init__(self):
        super().__init__(None)
        self.created = []

    def get(self, *args, **kwargs):
        return None

    def create(self, api_version, kind, body, namespace=None):
        self.created.append(body)
        return body

    def patch(self, *args, **kwargs):
        raise AssertionError("no marker may be written while the completion time is unusable")


def test_bad_completion_time_is_missing_with_a_warning_event():
    job = {"apiVersion": nvj.API_VERSION, "kind": nvj.KIND,
           "metadata": {"name": "train", "namespace": "ml", "uid": "u-1", "annotations": {}},
           "status": {"phase": "Succeeded", "startTime": "2026-01-24T22:00:00Z", "completionTime": "yesterday"}}
    api = _Recorder()
    result = notebook_wave.reconcile(api, job)
    assert result["changed"] is False and result["markers"] == {}
    assert result["deferred"][0]["retry_after"] == notebook_wave.INVALID_TIME_RETRY
    [event] = api.created
    assert (event["type"], event["reason"]) == ("Warning", "InvalidStatusTime")
    assert "status.completionTime 'yesterday' is not an RFC 3339 time" in event["message"]
    assert result["events"] == [event["metadata"]["name"]]


def test_fractional_completion_time_is_normalized():
    job = {"metadata": {}, "status": {"phase": "Failed", "completionTime": "2026-01-24T22:30:00.123456Z"}}
    assert notebook_wave.desired_markers(job)[nvj.ANN_FAILURE_TIME] == "2026-01-24T22:30:00Z"


@pytest.mark.parametrize(
    "value, expected",
    [("3", "3"), ("-1", "-1"), ("+2", "2"), ("007", "7"), (4, "4"), ("", None), ("1.5", None), (" 3", None),
     ("3\n", None), ("\n3", None), (True, None), (None, None),
     # strconv.Atoi's int64 range: one past it fails in Argo CD (issue 22)
     ("9223372036854775807", "9223372036854775807"), ("-9223372036854775808", "-9223372036854775808"),
     ("9223372036854775808", None), ("99999999999999999999", None), (2 ** 63, None)],
)
def test_parse_wave(value, expected):
    assert notebook_wave.parse_wave(value) == expected


def test_wave_with_a_trailing_newline_is_wave_0_as_in_argo_cd():
    """strconv.Atoi("3\\n") fails, so Argo CD syncs that job in wave 0: so must the markers say."""
    job = {"metadata": {"annotations": {"argocd.argoproj.io/sync-wave": "3\n"}}}
    assert notebook_wave.wave_of(job) == "0"


def test_a_wave_argo_cd_cannot_read_is_wave_0_and_cannot_be_waited_for_by_that_number():
    """Issue 22: sync-wave "99999999999999999999" was marked and matched by wait_for_wave -e
    wave=99999999999999999999; strconv.Atoi fails on it, so Argo CD syncs the job in wave 0."""
    job = {"metadata": {"annotations": {"argocd.argoproj.io/sync-wave": "99999999999999999999"}}}
    assert notebook_wave.wave_of(job) == "0"
    with pytest.raises(ValueError) as info:
        notebook_wait.Selector(wave="99999999999999999999")
    assert "wave must be an integer Argo CD can read" in str(info.value) and "9223372036854775807" in str(info.value)
    assert notebook_wait.Selector(wave="0").matches(job)


class _NoWrites(KubeApi):
    """The API layer with no server behind it: any request fails the test."""

    def __init__(self):
        super().__init__(None)

    def request(self, *args, **kwargs):
        raise AssertionError("settled and deleted jobs must not cause a request")


def test_reconcile_settled_job_sends_nothing():
    job = yaml.safe_load((CASES[0].parent / "succeeded-settled.yaml").read_text())["object"]
    result = notebook_wave.reconcile(_NoWrites(), job)
    assert result["changed"] is False and "diff" not in result
    assert result["markers"] == {nvj.ANN_WAVE_COMPLETE: "3", nvj.ANN_COMPLETION_TIME: "2026-01-24T22:30:00Z"}


def test_reconcile_skips_a_job_being_deleted():
    job = yaml.safe_load((CASES[0].parent / "succeeded-no-markers.yaml").read_text())["object"]
    job["metadata"]["deletionTimestamp"] = "2026-01-25T00:00:00Z"
    assert notebook_wave.reconcile(_NoWrites(), job)["changed"] is False
