"""NVJ facts every feature relies on: phases, the completion key, time parsing."""

import datetime

import pytest

from ansible_collections.mlops.gitops.plugins.module_utils import nvj


def job(phase=None, uid="u-1", completion="2026-01-24T22:30:00Z", conditions=None, start=None):
    status = {}
    if phase:
        status["phase"] = phase
    if completion:
        status["completionTime"] = completion
    if conditions:
        status["conditions"] = conditions
    if start:
        status["startTime"] = start
    return {"kind": nvj.KIND, "metadata": {"name": "j", "namespace": "ns", "uid": uid}, "status": status}


def test_phase_and_terminal():
    assert nvj.phase(job("Succeeded")) == "Succeeded" and nvj.is_terminal(job("Succeeded"))
    assert nvj.is_terminal(job("Failed"))
    assert not nvj.is_terminal(job("ValidationRunning"))
    assert nvj.phase({"metadata": {}}) is None
    assert nvj.phase({"status": "garbage"}) is None
    assert nvj.phase({"status": {"phase": 3}}) is None


def test_completion_key_identifies_one_completion():
    first = job("Succeeded")
    assert nvj.completion_key(first) == nvj.completion_key(job("Succeeded"))
    assert nvj.completion_key(first) != nvj.completion_key(job("Succeeded", completion="2026-01-25T00:00:00Z"))
    assert nvj.completion_key(first) != nvj.completion_key(job("Succeeded", uid="u-2"))
    assert nvj.completion_key(first) != nvj.completion_key(job("Failed"))


def test_no_completion_time_is_not_a_completion_yet():
    """No fallback to condition times: the Go operator's two-step failure changes them between the steps."""
    conds = [{"type": "A", "lastTransitionTime": "2026-01-24T10:00:00Z"},
             {"type": "B", "lastTransitionTime": "2026-01-24T11:00:00Z"}]
    assert nvj.completion_time(job("Failed", completion=None, conditions=conds)) is None
    assert nvj.completion_time(job("Failed", completion=None)) is None


@pytest.mark.parametrize("written, normalised", [
    ("2026-12-07t16:51:00z", "2026-12-07T16:51:00Z"),
    ("2026-12-07T18:51:00+02:00", "2026-12-07T16:51:00Z"),
    ("2026-12-07T16:51:00.123456789Z", "2026-12-07T16:51:00Z"),
    ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00Z"),
])
def test_the_completion_time_is_normalised_as_every_time_written(written, normalised):
    """Issue 22: the triggers copied the time as written (restartedAt: 2026-12-07t16:51:00z) while the wave
    markers were normalised, and year 1 became "1-01-01T00:00:00Z"."""
    assert nvj.completion_time(job("Succeeded", completion=written)) == normalised
    assert nvj.rfc3339(nvj.parse_time(written)) == normalised


def test_a_completion_time_in_the_future_is_not_trusted():
    """Issue 22: completionTime 9999-12-31T23:59:59Z made the next job's restart look done already."""
    future = job("Succeeded", completion="9999-12-31T23:59:59Z")
    assert nvj.completion_time(future) is None
    assert nvj.invalid_times(future) == [("completionTime", "9999-12-31T23:59:59Z")]
    assert "in the future" in nvj.time_problem("9999-12-31T23:59:59Z")
    soon = nvj.rfc3339(nvj.now() + datetime.timedelta(seconds=nvj.FUTURE_SKEW - 60))  # clock skew: fine
    assert nvj.completion_time(job("Succeeded", completion=soon)) == soon


@pytest.mark.parametrize("bad", ["yesterday", "2026-01-24", "2026-01-24 22:30:00", "2026-01-24T22:30:00",
                                 " 2026-01-24T22:30:00Z", "2026-01-24T22:30:00Z\n", 1769293800])
def test_a_status_time_that_is_not_rfc3339_is_missing(bad):
    broken = job("Succeeded", completion=bad, start=bad)
    assert nvj.completion_time(broken) is None
    assert nvj.duration_seconds(broken) is None
    assert [field for field, _value in nvj.invalid_times(broken)] == ["startTime", "completionTime"]
    assert nvj.invalid_times(job("Succeeded", start="2026-01-24T22:00:00Z")) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2026-01-24T22:30:00Z", datetime.datetime(2026, 1, 24, 22, 30, tzinfo=datetime.UTC)),
        ("2026-01-24T22:30:00.123456789Z", datetime.datetime(2026, 1, 24, 22, 30, 0, 123456, tzinfo=datetime.UTC)),
        ("2026-01-24T23:30:00+01:00", datetime.datetime(2026, 1, 24, 22, 30, tzinfo=datetime.UTC)),
        ("yesterday", None),
        ("2026-01-24t22:30:00z", datetime.datetime(2026, 1, 24, 22, 30, tzinfo=datetime.UTC)),
        ("2026-01-24T22:30:00", None),
        ("2026-01-24", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_time(text, expected):
    assert nvj.parse_time(text) == expected


def test_duration_and_rfc3339():
    assert nvj.duration_seconds(job("Failed", start="2026-01-24T22:29:19Z")) == 41
    assert nvj.duration_seconds(job("Failed", start="2026-01-24T23:00:00Z")) is None
    moment = datetime.datetime(2026, 1, 24, 23, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=1)))
    assert nvj.rfc3339(moment) == "2026-01-24T22:30:00Z"
