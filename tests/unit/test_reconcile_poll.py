"""One poll chain per running job (plugins/module_utils/reconcile_poll.py): the decision of each run, the state
file, and the run's start as ansible-operator tells it; the work queue it relies on is modelled below."""

import json
import os

import pytest
from ansible_collections.mlops.gitops.plugins.module_utils import reconcile_poll
from ansible_collections.mlops.gitops.plugins.module_utils.reconcile_poll import BACKSTOP, decide


def test_a_run_with_nothing_armed_asks_for_its_poll_and_records_when_it_is_due():
    assert decide(None, 15, started=100.0, now=103.0) == (15, {"due": 118.0})
    assert decide(None, 15, started=None, now=103.0) == (15, {"due": 118.0})  # start unknown: the same


def test_the_armed_requeues_own_run_starts_after_the_due_time_and_arms_the_next():
    assert decide({"due": 118.0}, 15, started=118.2, now=121.0) == (15, {"due": 136.0})


def test_a_run_that_started_just_before_the_due_time_arms_the_chain_itself():
    """Within the slack: never skip the poll of what may be the armed requeue's own run."""
    assert decide({"due": 118.0}, 15, started=117.8, now=121.0) == (15, {"due": 136.0})


def test_an_early_wake_up_asks_for_the_armed_instant_and_keeps_the_record():
    record = {"due": 118.0}
    assert decide(record, 15, started=105.0, now=108.0) == (10, record)  # ceil: never before the armed one
    assert decide(record, 30, started=105.0, now=108.0) == (10, record)  # a longer poll: still the armed one


def test_an_early_run_the_armed_requeue_overtakes_asks_only_for_a_backstop():
    """The armed requeue fires before this run returns: the job is queued again behind it, and that run arms the
    next poll, sooner than this run's backstop (so the queue keeps it). The backstop is there for an armed
    requeue that is gone: the job is then polled BACKSTOP seconds late, not at the periodic resync."""
    record = {"due": 118.0}
    assert decide(record, 15, started=110.0, now=116.0) == (2 + BACKSTOP + 15, record)
    assert decide(record, 15, started=110.0, now=125.0) == (BACKSTOP + 15, record)  # already fired during this run


def test_a_lost_armed_requeue_costs_a_backstop_not_the_chain():
    """A queue that drops the armed entry when a watch event queues the job (merges the two): the woken run is
    taken for one the armed requeue overtakes, and without the backstop no run would ever follow it."""
    starts = simulate([6.1], poll_state=True, merge_wake_ups=True, until=200.0)
    assert [s for s in starts if s > 6.1 + BACKSTOP], starts  # polled again, BACKSTOP late at most
    assert [s for s in starts if s > 150.0], starts  # and the chain goes on


def test_a_job_that_needs_a_sooner_poll_than_the_armed_one_starts_the_chain_again():
    """The queue keeps the sooner entry, so asking for it replaces the armed one (a re-run's 15 s after 30 s)."""
    assert decide({"due": 140.0}, 15, started=105.0, now=108.0) == (15, {"due": 123.0})


def test_a_finished_or_deleted_job_asks_for_nothing_and_is_forgotten():
    assert decide({"due": 118.0}, None, started=105.0, now=108.0) == (None, None)
    assert decide(None, None, started=None, now=108.0) == (None, None)


def test_a_record_that_is_not_a_number_is_ignored():
    assert decide({"due": "soon"}, 15, started=105.0, now=108.0) == (15, {"due": 123.0})


class Queue:
    """client-go's delaying work queue for one key, as controller-runtime uses it: one waiting entry per key
    (a second AddAfter keeps the sooner instant), an Add while the key is processed runs it once more after."""

    def __init__(self):
        self.waiting = None
        self.queued = False

    def add_after(self, moment):
        self.waiting = moment if self.waiting is None else min(self.waiting, moment)


def simulate(wake_ups, poll_state, wait=3.0, run=6.0, decide_at=4.5, until=120.0, merge_wake_ups=False):
    """Start times of the runs of one job: each run takes ``run`` seconds to return, decides ``decide_at`` s
    after its start; ``wake_ups`` are watch events (an annotation write). The run is longer than the poll, as
    in the test on a loaded machine, which is when two chains never merge by themselves. ``merge_wake_ups``: a
    watch event drops the waiting entry (a queue that merges the two) instead of leaving it armed."""
    queue, record, starts, now, ask = Queue(), None, [], 0.0, None
    pending = sorted(wake_ups)
    queue.queued = True  # the job's creation
    busy_until = None
    while now < until:
        if queue.waiting is not None and queue.waiting <= now:
            queue.waiting, queue.queued = None, True
        if pending and pending[0] <= now:
            pending.pop(0)
            queue.queued = True
            if merge_wake_ups:
                queue.waiting = None
        if busy_until is not None and now >= busy_until:
            busy_until = None
            if ask is not None:
                queue.add_after(now + ask)
        if busy_until is None and queue.queued:
            queue.queued = False
            start = now
            starts.append(start)
            busy_until = start + run
            if poll_state:
                ask, record = decide(record, wait, start, start + decide_at)
            else:
                ask = wait
        now = round(now + 0.05, 2)
    return starts


@pytest.mark.parametrize("poll_state", [False, True])
def test_one_wake_up_while_armed_doubles_the_runs_without_the_state_and_not_with_it(poll_state):
    quiet = simulate([], poll_state)
    woken = simulate([6.1], poll_state)
    quiet_gaps = [b - a for a, b in zip(quiet, quiet[1:])]
    assert min(quiet_gaps) == pytest.approx(9.0)  # a run (6 s) plus the poll (3 s)
    late = [s for s in woken if s > 30]
    gaps = [b - a for a, b in zip(late, late[1:])]
    if poll_state:
        assert min(gaps) == pytest.approx(9.0)  # one chain again
    else:
        assert min(gaps) == pytest.approx(6.0)  # back to back: two chains


def test_the_state_file_keeps_one_record_per_job_and_drops_finished_and_old_ones(tmp_path):
    path = str(tmp_path / "sub" / "polls.json")
    state = reconcile_poll.PollState(path)
    assert state.settle("a", 15, started=100.0, now=100.0) == 15
    assert state.settle("b", 15, started=100.0, now=100.0) == 15
    assert state.settle("a", 15, started=105.0, now=106.0) == 9  # a wake-up of a: the armed instant
    assert json.loads(open(path).read()) == {"a": {"due": 115.0}, "b": {"due": 115.0}}
    assert state.settle("b", None, started=110.0, now=110.0) is None  # b finished
    assert state.settle("c", 15, started=100.0, now=100.0 + reconcile_poll.KEEP_SECONDS + 20) == 15
    assert set(json.loads(open(path).read())) == {"c"}  # a's record is an hour old: a deleted job


def test_a_failed_run_does_not_record_what_it_never_asked_for(tmp_path):
    state = reconcile_poll.PollState(str(tmp_path / "polls.json"))
    assert state.settle("a", 15, started=100.0, now=100.0, write=False) == 15
    assert state.settle("a", 15, started=101.0, now=101.0) == 15  # nothing was recorded: a chain starts


def test_an_unreadable_state_file_counts_as_empty(tmp_path):
    path = tmp_path / "polls.json"
    path.write_text("{not json")
    assert reconcile_poll.PollState(str(path)).settle("a", 15, started=1.0, now=1.0) == 15


def test_the_run_started_when_ansible_operator_wrote_its_kubeconfig(tmp_path):
    """ansible-operator writes $TMPDIR/kubeconfig<digits> for each reconcile, just before it starts ansible-runner,
    and passes it as K8S_AUTH_KUBECONFIG: its modification time is the reconcile's start."""
    path = tmp_path / "kubeconfig2873409812"
    path.write_text("apiVersion: v1\nkind: Config\n")
    os.utime(path, (1500.25, 1500.25))
    assert reconcile_poll.run_started({"K8S_AUTH_KUBECONFIG": str(path)}, now=1600.5) == 1500.25


def test_any_other_kubeconfig_gives_no_start(tmp_path):
    """A user's kubeconfig (run by ansible-playbook or AWX) is not a reconcile's: every run then counts as its
    chain's own run. So does a file that is gone or a time ahead of now."""
    mine = tmp_path / "config"
    mine.write_text("")
    assert reconcile_poll.run_started({"K8S_AUTH_KUBECONFIG": str(mine)}) is None
    assert reconcile_poll.run_started({}) is None
    assert reconcile_poll.run_started({"K8S_AUTH_KUBECONFIG": str(tmp_path / "kubeconfig123")}) is None
    ahead = tmp_path / "kubeconfig456"
    ahead.write_text("")
    os.utime(ahead, (2000.0, 2000.0))
    assert reconcile_poll.run_started({"K8S_AUTH_KUBECONFIG": str(ahead)}, now=1600.0) is None
