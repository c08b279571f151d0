"""Pure parts of feature 4 (status_tally): the streaming tally, the content, equality without lastUpdate, debounce."""

import datetime
import json
import random

import pytest

from ansible_collections.mlops.gitops.plugins.module_utils import notebook_status, nvj, status_tally

from harness import world

T0 = datetime.datetime(2026, 1, 24, 22, 30, 0, tzinfo=datetime.UTC)


def job(name, phase=None, namespace="ml", completed=None, app="platform"):
    status = None
    if phase:
        status = {"phase": phase, "results": [{"output": "x" * 100}]}
        if completed:
            status["completionTime"] = completed
    return world.job(namespace, name, labels={nvj.LABEL_INSTANCE: app}, status=status)


def stamp(minute):
    return "2026-01-24T10:{:02d}:00Z".format(minute)


def annotations_for(jobs, now=T0, max_failed_jobs=20):
    tally = status_tally.Tally(max_failed_jobs)
    for item in jobs:
        tally.add(item)
    return status_tally.build_annotations(tally, now)


# -- tally ------------------------------------------------------------------------------------
def test_tally_counts_every_non_terminal_phase_as_running():
    tally = status_tally.Tally()
    phases = [None, "Initializing", "Building", "BuildComplete", "ValidationRunning", "Pending", "Running",
              "SomethingNew", "Succeeded", "Succeeded", "Failed"]
    for i, phase in enumerate(phases):
        tally.add(job("j{}".format(i), phase, completed=stamp(i)))
    assert (tally.total, tally.succeeded, tally.failed, tally.running) == (11, 2, 1, 8)


def test_tally_keeps_only_a_bounded_list_of_failures_newest_first():
    tally = status_tally.Tally(max_failed_jobs=3)
    for minute in range(50):
        tally.add(job("f{:02d}".format(minute), "Failed", completed=stamp(minute)))
        assert len(tally._failed) <= 6  # memory bound: never more than twice the limit
    assert tally.failed_jobs() == ["f49", "f48", "f47"]
    status = status_tally.build_status(tally, T0)
    assert status["failed"] == 50 and status["failedJobsOmitted"] == 47


def test_failed_jobs_do_not_depend_on_list_order():
    jobs = [job("f{:02d}".format(i), "Failed", completed=stamp(i % 7)) for i in range(40)]
    expected = annotations_for(jobs, max_failed_jobs=5)
    for seed in range(5):
        shuffled = list(jobs)
        random.Random(seed).shuffle(shuffled)
        assert annotations_for(shuffled, max_failed_jobs=5) == expected
    names = json.loads(expected[nvj.ANN_NOTEBOOK_STATUS])["failedJobs"]
    assert names == ["f06", "f13", "f20", "f27", "f34"]  # newest time (minute 6), then by name


def test_zero_max_failed_jobs_lists_none_but_counts_them():
    status = json.loads(annotations_for([job("a", "Failed", completed=stamp(1))], max_failed_jobs=0)[
        nvj.ANN_NOTEBOOK_STATUS])
    assert status["failedJobs"] == [] and status["failedJobsOmitted"] == 1 and status["failed"] == 1


def test_failed_names_are_qualified_only_when_jobs_span_namespaces():
    one = annotations_for([job("a", "Failed", completed=stamp(1))])
    assert json.loads(one[nvj.ANN_NOTEBOOK_STATUS])["failedJobs"] == ["a"]
    two = annotations_for([job("a", "Failed", completed=stamp(1)), job("b", "Succeeded", namespace="other")])
    status = json.loads(two[nvj.ANN_NOTEBOOK_STATUS])
    assert status["failedJobs"] == ["ml/a"] and status["namespaces"] == ["ml", "other"]


def test_last_failure_and_success_references_name_the_newest():
    ann = annotations_for([
        job("old-fail", "Failed", completed=stamp(1)),
        job("new-fail", "Failed", completed="2026-01-24T10:06:00.5Z"),
        job("mid-fail", "Failed", completed=stamp(5)),
        job("ok", "Succeeded", completed=stamp(3)),
        job("running", "ValidationRunning"),
    ])
    # the reference holds the completion time normalised, as every time the collection writes (issue 22)
    assert ann[nvj.ANN_NOTEBOOK_LAST_FAILURE] == "ml/new-fail@2026-01-24T10:06:00Z"
    assert ann[nvj.ANN_NOTEBOOK_LAST_SUCCESS] == "ml/ok@" + stamp(3)
    assert [ann[k] for k in (nvj.ANN_NOTEBOOK_TOTAL, nvj.ANN_NOTEBOOK_SUCCEEDED, nvj.ANN_NOTEBOOK_FAILED,
                             nvj.ANN_NOTEBOOK_RUNNING)] == ["5", "1", "3", "1"]


def test_references_are_empty_strings_without_terminal_jobs():
    ann = annotations_for([job("a", "Building")])
    assert ann[nvj.ANN_NOTEBOOK_LAST_FAILURE] == "" and ann[nvj.ANN_NOTEBOOK_LAST_SUCCESS] == ""
    assert set(ann) == set(status_tally.MANAGED_KEYS)


def test_merge_equals_one_pass():
    jobs = [job("j{}".format(i), ("Failed", "Succeeded", None)[i % 3], namespace="ns{}".format(i % 2),
                completed=stamp(i)) for i in range(30)]
    whole = annotations_for(jobs, max_failed_jobs=4)
    first, second = status_tally.Tally(4), status_tally.Tally(4)
    for item in jobs:
        (first if nvj.metadata(item)["namespace"] == "ns0" else second).add(item)
    first.merge(second)
    assert status_tally.build_annotations(first, T0) == whole


def test_status_json_is_compact_with_the_documented_keys():
    text = annotations_for([job("a", "Succeeded", completed=stamp(1))])[nvj.ANN_NOTEBOOK_STATUS]
    assert " " not in text
    assert list(json.loads(text)) == ["total", "succeeded", "failed", "running", "lastUpdate", "failedJobs",
                                      "failedJobsOmitted", "namespaces"]
    assert json.loads(text)["lastUpdate"] == "2026-01-24T22:30:00Z"


# -- summary ----------------------------------------------------------------------------------
@pytest.mark.parametrize("succeeded, total, text", [
    (30, 32, "30/32 succeeded (93.8% success rate)"),
    (5, 16, "5/16 succeeded (31.3% success rate)"),  # half up, where float formatting says 31.2
    (1, 3, "1/3 succeeded (33.3% success rate)"),
    (2, 3, "2/3 succeeded (66.7% success rate)"),
    (32, 32, "32/32 succeeded (100.0% success rate)"),
    (0, 5, "0/5 succeeded (0.0% success rate)"),
    (0, 0, "0/0 succeeded (no notebook validation jobs)"),
])
def test_summary(succeeded, total, text):
    assert status_tally.summary(succeeded, total) == text


# -- equality and debounce --------------------------------------------------------------------
BASE = [job("a", "Succeeded", completed=stamp(1)), job("b", "Failed", completed=stamp(2)), job("c", "Building")]


def test_same_content_ignores_only_last_update():
    before = annotations_for(BASE, now=T0)
    later = annotations_for(BASE, now=T0 + datetime.timedelta(hours=1))
    assert before != later and status_tally.same_content(before, later)
    changed = annotations_for(BASE[:2] + [job("c", "Succeeded", completed=stamp(3))])
    assert not status_tally.same_content(before, changed)


def test_same_content_sees_flat_values_and_bad_json():
    before = annotations_for(BASE)
    for key, value in ((nvj.ANN_NOTEBOOK_SUMMARY, "edited"), (nvj.ANN_NOTEBOOK_LAST_SUCCESS, None),
                       (nvj.ANN_NOTEBOOK_STATUS, "{not json"), (nvj.ANN_NOTEBOOK_STATUS, "[1]")):
        assert not status_tally.same_content(dict(before, **{key: value}), annotations_for(BASE))


def _at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


RUNNING_ONE = [job("a", "Succeeded", completed=stamp(1)), job("b", "Failed", completed=stamp(2)),
               job("c", "Building"), job("d", None)]
SUCCEEDED_MORE = [job("a", "Succeeded", completed=stamp(1)), job("b", "Failed", completed=stamp(2)),
                  job("c", "Succeeded", completed=stamp(3))]
FAILED_MORE = [job("a", "Succeeded", completed=stamp(1)), job("b", "Failed", completed=stamp(2)),
               job("c", "Failed", completed=stamp(3))]
REFAILED = [job("a", "Succeeded", completed=stamp(1)), job("b", "Failed", completed=stamp(9)), job("c", "Building")]
FEWER_FAILED = [job("a", "Succeeded", completed=stamp(1)), job("c", "Building")]

DEBOUNCE_TABLE = [
    # (id, existing jobs or None, new jobs, seconds since the last write, min_interval, action, retry_after)
    ("first write", None, BASE, 0, 60, status_tally.UPDATED, None),
    ("unchanged within interval", BASE, BASE, 5, 60, status_tally.UNCHANGED, None),
    ("unchanged long after", BASE, BASE, 5000, 60, status_tally.UNCHANGED, None),
    ("change too early", BASE, SUCCEEDED_MORE, 20, 60, status_tally.DEFERRED, 40),
    ("change fractional", BASE, SUCCEEDED_MORE, 59.2, 60, status_tally.DEFERRED, 1),
    ("new running job too early", BASE, RUNNING_ONE, 1, 60, status_tally.DEFERRED, 59),
    ("change at the boundary", BASE, SUCCEEDED_MORE, 60, 60, status_tally.UPDATED, None),
    ("change after interval", BASE, SUCCEEDED_MORE, 61, 60, status_tally.UPDATED, None),
    ("new failure bypasses", BASE, FAILED_MORE, 1, 60, status_tally.UPDATED, None),
    ("same job fails again", BASE, REFAILED, 1, 60, status_tally.UPDATED, None),
    ("fewer failures waits", BASE, FEWER_FAILED, 1, 60, status_tally.DEFERRED, 59),
    ("no interval", BASE, SUCCEEDED_MORE, 0, 0, status_tally.UPDATED, None),
    ("clock skew", BASE, SUCCEEDED_MORE, -300, 60, status_tally.UPDATED, None),
    ("long interval", BASE, SUCCEEDED_MORE, 100, 3600, status_tally.DEFERRED, 3500),
]


@pytest.mark.parametrize("case", DEBOUNCE_TABLE, ids=[c[0] for c in DEBOUNCE_TABLE])
def test_decide(case):
    _, old_jobs, new_jobs, elapsed, interval, action, retry_after = case
    existing = status_tally.managed(annotations_for(old_jobs, now=T0) if old_jobs else {})
    now = _at(elapsed)
    got = status_tally.decide(existing, annotations_for(new_jobs, now=now), now, interval)
    assert (got[0], got[2]) == (action, retry_after), got[1]


def test_unparseable_last_update_does_not_block_a_write():
    existing = annotations_for(BASE)
    status = json.loads(existing[nvj.ANN_NOTEBOOK_STATUS])
    status["lastUpdate"] = "yesterday"
    existing[nvj.ANN_NOTEBOOK_STATUS] = json.dumps(status)
    assert status_tally.decide(existing, annotations_for(SUCCEEDED_MORE), T0, 60)[0] == status_tally.UPDATED


# -- the debounce decided before listing (reconcile of one job) ----------------------------------
# Written on the Application at T0: a@1 succeeded, b@2 failed (the last-failure reference), c building.
BEFORE_LIST_TABLE = [
    # (id, job being reconciled, seconds since the last write, min_interval, retry_after or None = list)
    ("succeeded inside the interval", job("c", "Succeeded", completed=stamp(3)), 20, 60, 40),
    ("running inside the interval", job("c", "ValidationRunning"), 1, 60, 59),
    ("no status yet inside the interval", job("n", None), 1, 60, 59),
    ("fractional rest", job("c", "Succeeded", completed=stamp(3)), 59.2, 60, 1),
    ("long interval", job("c", "Succeeded", completed=stamp(3)), 100, 3600, 3500),
    ("at the boundary", job("c", "Succeeded", completed=stamp(3)), 60, 60, None),
    ("after the interval", job("c", "Succeeded", completed=stamp(3)), 5000, 60, None),
    ("min_interval 0", job("c", "Succeeded", completed=stamp(3)), 0, 0, None),
    ("lastUpdate in the future", job("c", "Succeeded", completed=stamp(3)), -300, 60, None),
    ("new failure, newer than the reference", job("c", "Failed", completed=stamp(3)), 1, 60, None),
    ("same job fails again", job("b", "Failed", completed=stamp(9)), 1, 60, None),
    ("same time, name after the reference's", job("c", "Failed", completed=stamp(2)), 1, 60, None),
    ("failure in another namespace, same time", job("b", "Failed", namespace="zz", completed=stamp(2)), 1, 60, None),
    ("failure already written", job("b", "Failed", completed=stamp(2)), 1, 60, 59),
    ("failure already written, other time format", job("b", "Failed", completed="2026-01-24T10:02:00.000Z"), 1, 60,
     59),
    ("older failure than the reference", job("z", "Failed", completed=stamp(1)), 1, 60, 59),
    ("same time, name before the reference's", job("a0", "Failed", completed=stamp(2)), 1, 60, 59),
    ("failure without completion time", job("y", "Failed"), 1, 60, None),
    ("failure with an unreadable completion time", job("y", "Failed", completed="soon"), 1, 60, None),
]


@pytest.mark.parametrize("case", BEFORE_LIST_TABLE, ids=[c[0] for c in BEFORE_LIST_TABLE])
def test_decide_before_listing(case):
    _, item, elapsed, interval, retry_after = case
    existing = status_tally.managed(annotations_for(BASE, now=T0))
    got = status_tally.decide_before_listing(existing, item, _at(elapsed), interval)
    if retry_after is None:
        assert got is None
    else:
        assert got[0] == status_tally.DEFERRED and got[2] == retry_after, got
        assert "min_interval" in got[1] and "counted when the interval is over" in got[1]


@pytest.mark.parametrize("edit", [
    {"lastUpdate": "yesterday"}, {"lastUpdate": None}, {"lastUpdate": 1769293800}, "{not json", None])
def test_unreadable_last_update_does_not_skip_the_list(edit):
    existing = status_tally.managed(annotations_for(BASE, now=T0))
    if isinstance(edit, dict):
        status = json.loads(existing[nvj.ANN_NOTEBOOK_STATUS])
        status.update(edit)
        existing[nvj.ANN_NOTEBOOK_STATUS] = json.dumps(status)
    else:
        existing[nvj.ANN_NOTEBOOK_STATUS] = edit
    finished = job("c", "Succeeded", completed=stamp(3))
    assert status_tally.decide_before_listing(existing, finished, _at(1), 60) is None


# (a failure without a completion time is not counted failed yet: no reference is written for it)
@pytest.mark.parametrize("completed", [stamp(4), "2026-01-24T10:05:00.5Z", "2026-01-24T12:05:00+02:00"])
def test_written_references_parse_back_to_the_tallys_references(completed):
    failed = job("f", "Failed", completed=completed)
    written = annotations_for([failed])[nvj.ANN_NOTEBOOK_LAST_FAILURE]
    assert status_tally.parse_completion_ref(written) == status_tally.completion_ref(failed)
    assert status_tally.failure_reflected({nvj.ANN_NOTEBOOK_LAST_FAILURE: written}, failed)


@pytest.mark.parametrize("value", ["", None, "ml/f", 42])
def test_absent_or_malformed_references_reflect_nothing(value):
    assert status_tally.parse_completion_ref(value) is None
    failed = job("f", "Failed", completed=stamp(1))
    assert not status_tally.failure_reflected({nvj.ANN_NOTEBOOK_LAST_FAILURE: value}, failed)


def test_recorded_namespaces():
    app = {"metadata": {"annotations": annotations_for([job("a", namespace="x"), job("b", namespace="y")])}}
    assert status_tally.recorded_namespaces(app) == {"x", "y"}
    assert status_tally.recorded_namespaces({"metadata": {"annotations": {nvj.ANN_NOTEBOOK_STATUS: "{}"}}}) == set()


# -- entry points without I/O -----------------------------------------------------------------
@pytest.mark.parametrize("options", [{"min_interval": -1}, {"page_size": 0}, {"max_failed_jobs": "x"},
                                     {"argocd_namespace": ""}])
def test_bad_options_fail_with_a_message(options):
    key = next(iter(options))
    result = notebook_status.reconcile(None, job("a"), options)
    assert result["failed"] and key in result["msg"]
    assert notebook_status.aggregate(None, ["ml"], options)["failed"]


def test_job_without_parent_is_a_no_op_without_requests():
    orphan = job("a")
    orphan["metadata"]["labels"] = {}
    result = notebook_status.reconcile(None, orphan)  # None as api: any request would raise
    assert result["changed"] is False and result["parent"] is None and result["applications"] == []


def test_a_failure_without_completion_time_is_not_counted_failed_yet():
    """The Go operator's two-step failure: Failed without completionTime, then with it. Counted failed only
    once the time is there, so notebook-last-failure (the notification trigger's oncePer) changes once."""
    first = status_tally.Tally()
    first.add(job("train", "Failed"))
    assert (first.failed, first.running, first.last_failure) == (0, 1, None)
    second = status_tally.Tally()
    second.add(job("train", "Failed", completed=stamp(3)))
    assert (second.failed, second.running) == (1, 0) and second.last_failure[2] == "ml/train@" + stamp(3)
