"""NotebookValidationJob lifecycles under the real ansible-operator, on the real control plane.

The test plays the Go operator: it creates the job and writes its phases through the status subresource
(Initializing -> Building -> BuildComplete -> ValidationRunning -> Succeeded or Failed, a re-run, a failed
build, a delete). ansible-operator's predicates let no status-only change through; the role's requeue
(NOTEBOOK_CONTROLLER_RUNNING_REQUEUE, 3 s here instead of 10 s, and ..._MAX 3 s so that it does not back off,
to keep the test short) is how it sees one. The Go operator's wave annotations after a terminal status write
(world.complete) would wake a run at once; these lifecycles leave them out, so that the poll is what they check,
and test_the_go_operators_wave_annotations_wake_the_run_at_once plays them.
Not shorter: a run's first log record comes about 1 s after its reconcile starts (ansible-runner's start-up), so
with a 1 s requeue a storm and a requeue would look alike.
Every effect is read back from the API, and the runs are counted from the operator's own log and metrics.
"""

import datetime
import json
import re
import time

import pytest
from ansible_collections.mlops.gitops.plugins.module_utils import nvj

from harness import world

REQUEUE = 3
GVK = "mlops.mlops.dev/v1alpha1, Kind=NotebookValidationJob"


def now(offset=0):
    return world.stamp(datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=offset))


def settings(namespace, **more):
    env = {"NOTEBOOK_CONTROLLER_ARGOCD_NAMESPACE": namespace, "NOTEBOOK_CONTROLLER_MIN_INTERVAL": "0",
           "NOTEBOOK_CONTROLLER_RUNNING_REQUEUE": str(REQUEUE), "NOTEBOOK_CONTROLLER_RUNNING_REQUEUE_MAX": str(REQUEUE),
           "NOTEBOOK_CONTROLLER_ANNOUNCED_REQUEUE_MAX": str(REQUEUE)}
    env.update(more)
    return env


def go_seconds(duration):
    """Seconds of a Go duration as ansible-operator logs it (``57s``, ``1m0s``)."""
    return sum(float(n) * {"h": 3600, "m": 60, "s": 1}[unit] for n, unit in re.findall(r"([\d.]+)([hms])", duration))


def markers(api, namespace, name=world.JOB_NAME):
    annotations = nvj.annotations(api.get(nvj.API_VERSION, nvj.KIND, name, namespace))
    return {k: v for k, v in annotations.items() if k.startswith("mlops.dev/wave")}


def app_status(api, namespace):
    return json.loads(world.app_annotations(api, namespace)[nvj.ANN_NOTEBOOK_STATUS])


def a_run_sees_it(operator, namespace, name=world.JOB_NAME, timeout=60):
    """Wait until a run that started after now has finished (so it read what was just written)."""
    since = time.time()
    operator.wait_for(lambda: any(r["start"] > since and r["end"] for r in operator.run_table(name, namespace)),
                      timeout=timeout, what=f"a run of {namespace}/{name} after {since}")


def runs_in(operator, namespace, seconds, name=world.JOB_NAME):
    """How many runs of the job start in the next ``seconds``."""
    before = len(operator.runs(name, namespace))
    time.sleep(seconds)
    return len(operator.runs(name, namespace)) - before


@pytest.mark.slow
def test_a_job_from_creation_to_deletion(start_operator, api, namespace, tmp_path):
    operator = start_operator(namespace, env=settings(namespace))
    world.build(api, namespace)
    pwned = tmp_path / "pwned"
    api.patch(nvj.API_VERSION, nvj.KIND, world.JOB_NAME, {"metadata": {"annotations": {
        "example.com/note": "{{ lookup('ansible.builtin.pipe', 'touch " + str(pwned) + "') }}"}}},
        namespace=namespace)

    # created: the Application counts it; not finished, so requeued after the poll interval
    a_run_sees_it(operator, namespace)
    assert app_status(api, namespace)["total"] == 1
    assert markers(api, namespace) == {}
    assert f"{REQUEUE}s" in operator.requeues(world.JOB_NAME, namespace)

    # the Go operator's phases: status only, so only the requeue notices them; nothing is written
    for phase in world.PHASES:
        world.set_phase(api, namespace, world.JOB_NAME, phase, started=now(-60))
        a_run_sees_it(operator, namespace)
        assert markers(api, namespace) == {}, phase
        assert world.events(api, namespace) == [], phase
    # one reconcile at a time: a run starts only after the last one returned. The interval is checked where
    # nothing else wakes the job (test_an_unfinished_job_is_polled_at_the_requeue_interval) and after one
    # wake-up while a requeue is armed (test_a_wake_up_while_a_requeue_is_armed_leaves_one_poll_chain).
    table = operator.run_table(world.JOB_NAME, namespace)
    overlaps = [(a["job"], b["job"]) for a, b in zip(table, table[1:]) if a["returned"] and b["start"] < a["returned"]]
    assert not overlaps, f"a run started before the last one returned: {overlaps}"
    table = operator.run_table(world.JOB_NAME, namespace)
    while_running = len(table)

    # Succeeded: marker, one Event, the trigger restarts the predictor once, the Application counts it
    completed_at = time.time()
    runs_before = len(operator.runs(world.JOB_NAME, namespace))
    world.set_phase(api, namespace, world.JOB_NAME, "Succeeded", started=now(-60), completed=now())
    operator.wait_for(lambda: markers(api, namespace).get(nvj.ANN_WAVE_COMPLETE) == "3", what="wave-complete")
    noticed = time.time() - completed_at
    operator.wait_idle(world.JOB_NAME, namespace, quiet=2 * REQUEUE + 2)
    assert app_status(api, namespace)["succeeded"] == 1
    assert len(world.events(api, namespace, "ValidationSucceeded")) == 1
    assert world.pods(api, namespace) == []
    at_completion = len(operator.runs(world.JOB_NAME, namespace)) - runs_before
    assert at_completion <= 3, f"{at_completion} runs to act on one completion"
    assert runs_in(operator, namespace, 2 * REQUEUE + 1) == 0, "a finished job keeps being reconciled"
    world.create_pods(api, namespace)  # the restarted predictor's new pods
    assert runs_in(operator, namespace, REQUEUE + 1) == 0
    assert len(world.pods(api, namespace)) == 2, "the trigger fired again"
    assert operator.metric("notebook_validation_total") == 1
    assert operator.metric("argocd_triggers_total") == 1
    assert operator.metric("notebook_validation_duration_seconds_count") == 1

    # re-run of the same object: a spec change with the status reset (the Go operator itself never restarts a
    # finished job, docs/operator.md; a tool that resets it is played here); the markers go so nothing waits on them
    api.patch(nvj.API_VERSION, nvj.KIND, world.JOB_NAME, {"spec": {"timeout": "45m"}}, namespace=namespace)
    world.set_phase(api, namespace, world.JOB_NAME, "ValidationRunning", started=now(), completed=None)
    operator.wait_for(lambda: markers(api, namespace) == {}, what="markers cleared on the re-run")

    # Failed: failure marker, a Warning Event, no trigger, the Application counts the failure
    world.set_phase(api, namespace, world.JOB_NAME, "Failed", started=now(-5), completed=now())
    operator.wait_for(lambda: markers(api, namespace).get(nvj.ANN_WAVE_FAILED) == "3", what="wave-failed")
    operator.wait_idle(world.JOB_NAME, namespace, quiet=2 * REQUEUE + 2)
    assert app_status(api, namespace)["failed"] == 1
    assert nvj.ANN_WAVE_COMPLETE not in markers(api, namespace)
    assert len(world.events(api, namespace, "ValidationFailed")) == 1
    assert len(world.pods(api, namespace)) == 2
    assert operator.metric("notebook_validation_total") == 2
    assert operator.metric("argocd_triggers_total") == 1

    # deleted: no finalizer, nothing blocks it, and the operator does not run for a job that is gone
    runs_before = len(operator.runs(world.JOB_NAME, namespace))
    api.delete(nvj.API_VERSION, nvj.KIND, world.JOB_NAME, namespace)
    assert runs_in(operator, namespace, REQUEUE + 2) == 0
    assert len(operator.runs(world.JOB_NAME, namespace)) == runs_before

    assert not pwned.exists(), "user text in the job's annotations was templated"
    assert operator.errors() == [], operator.errors()
    record_figures(tmp_path, operator, {"noticed_completion_s": noticed, "runs_while_running_per_7s": while_running,
                                        "runs_at_completion": at_completion})


def test_an_unfinished_job_is_polled_at_the_requeue_interval(start_operator, api, namespace):
    """Nothing but the requeue wakes the job after its creation: each run starts REQUEUE s or more after the last
    one asked (its first log record comes about a second after the reconcile starts), so there is no storm."""
    operator = start_operator(namespace, env=settings(namespace))
    world.build(api, namespace)
    operator.wait_for(lambda: len([r for r in operator.run_table(world.JOB_NAME, namespace) if r["returned"]]) >= 4,
                      timeout=180, what="four polls")
    table = operator.run_table(world.JOB_NAME, namespace)
    gaps = [b["start"] - a["returned"] for a, b in zip(table, table[1:]) if a["returned"]]
    assert len(gaps) >= 3 and all(gap >= REQUEUE for gap in gaps), f"a run started before the requeue interval: {gaps}"
    assert set(operator.requeues(world.JOB_NAME, namespace)) == {f"{REQUEUE}s"}
    assert operator.errors() == []


WINDOW = 45


def test_a_wake_up_while_a_requeue_is_armed_leaves_one_poll_chain(start_operator, api, namespace):
    """An annotation write right after a run asked for its requeue runs the job at once while that requeue is
    armed. A run here takes longer than the 3 s poll, so the armed requeue fires during the woken run: without
    the poll state each of the two runs arms a requeue of its own and from then on the runs come back to back
    (each ~1.5 s after the last returned, ansible-runner's start-up). With it, the woken run asks only for a
    backstop and the job keeps one chain: in a window after that, every run starts REQUEUE s or more after the
    last one asked, and no more runs start than one chain allows."""
    operator = start_operator(namespace, env=settings(namespace))
    world.build(api, namespace)

    def returned():
        return [r for r in operator.run_table(world.JOB_NAME, namespace) if r["returned"]]

    operator.wait_for(lambda: len(returned()) >= 2, timeout=180, what="two polls")
    count = len(returned())
    operator.wait_for(lambda: len(returned()) > count, timeout=120, interval=0.05, what="the next poll")
    poked = time.time()  # its requeue is armed now
    poke(api, namespace, "1")
    operator.wait_for(lambda: len([r for r in operator.run_table(world.JOB_NAME, namespace)
                                   if r["start"] > poked and (r["end"] or r["returned"])]) >= 2,
                      timeout=120, what="the woken run and the armed requeue's run")
    begin = time.time()
    time.sleep(WINDOW)
    table = operator.run_table(world.JOB_NAME, namespace)
    inside = [r for r in table if begin <= r["start"] < begin + WINDOW]
    gaps = [round(b["start"] - a["returned"], 2) for a, b in zip(table, table[1:])
            if a["returned"] and begin <= b["start"] < begin + WINDOW]
    assert len(gaps) >= 2, table
    assert all(gap >= REQUEUE for gap in gaps), f"runs came back to back (two requeue chains): {gaps}"
    # one chain: each cycle is a run up to its requeue plus the requeue itself, at least
    to_return = sorted(r["returned"] - r["start"] for r in table if r["returned"])
    cycle = REQUEUE + to_return[len(to_return) // 2]
    assert len(inside) <= WINDOW / cycle + 2, (len(inside), cycle, gaps)
    assert operator.errors() == []


@pytest.mark.slow
def test_a_failed_build_is_marked_failed_and_fires_nothing(start_operator, api, namespace):
    operator = start_operator(namespace, env=settings(namespace))
    world.build(api, namespace)
    a_run_sees_it(operator, namespace)
    world.set_phase(api, namespace, world.JOB_NAME, "Building", started=now(-30))
    a_run_sees_it(operator, namespace)
    world.set_phase(api, namespace, world.JOB_NAME, "Failed", started=now(-30), completed=now())
    operator.wait_for(lambda: markers(api, namespace).get(nvj.ANN_WAVE_FAILED) == "3", what="wave-failed")
    operator.wait_idle(world.JOB_NAME, namespace, quiet=2 * REQUEUE + 2)
    assert len(world.events(api, namespace, "ValidationFailed")) == 1
    assert len(world.pods(api, namespace)) == 2
    assert operator.errors() == []


@pytest.mark.slow
def test_the_go_operators_wave_annotations_wake_the_run_at_once(start_operator, api, namespace):
    """For a job with a sync wave the Go operator follows its terminal status write with an annotation write
    (world.go_operator_marks_wave). That write passes ansible-operator's annotation predicate, so the completion
    is acted on at once, not at the next poll: the poll here is 60 s, armed just before the completion, and the
    trigger is recorded well before it could fire. The Go operator's completion-time (the time of its write)
    ends as the job's own completion time. Runs at the completion: the woken one that acts and one for its own
    annotation writes (the armed poll still fires later, finds nothing to do, and is not waited for here)."""
    operator = start_operator(namespace, env=settings(namespace, NOTEBOOK_CONTROLLER_RUNNING_REQUEUE="60",
                                                      NOTEBOOK_CONTROLLER_RUNNING_REQUEUE_MAX="60",
                                                      NOTEBOOK_CONTROLLER_ANNOUNCED_REQUEUE_MAX="60"))
    world.build(api, namespace)
    world.set_phase(api, namespace, world.JOB_NAME, "ValidationRunning", started=now(-60))
    run = next_run(operator, api, namespace, "1")  # a run that read the running job; its poll is armed
    assert run["requeue"] is not None, run
    due = run["returned"] + go_seconds(run["requeue"])
    runs_before = len(operator.runs(world.JOB_NAME, namespace))
    completed = now()
    since = time.time()
    world.complete(api, namespace, world.JOB_NAME, world.status(world.JOB_NAME, "Succeeded", now(-90), completed))
    operator.wait_for(lambda: nvj.ANN_TRIGGER_STATUS in nvj.annotations(world.get_job(api, namespace)),
                      timeout=due - time.time() - 1, what="the trigger, before the armed poll")
    acted_after = time.time() - since
    operator.wait_idle(world.JOB_NAME, namespace, quiet=10)
    job = world.get_job(api, namespace)
    assert markers(api, namespace) == {nvj.ANN_WAVE_COMPLETE: "3"}
    assert nvj.annotations(job)[nvj.ANN_COMPLETION_TIME] == completed
    assert len(world.events(api, namespace, "ValidationSucceeded")) == 1
    assert world.pods(api, namespace) == []
    assert len(operator.runs(world.JOB_NAME, namespace)) - runs_before <= 2
    assert app_status(api, namespace)["succeeded"] == 1
    assert operator.errors() == []
    print(f"completion acted on after {acted_after:.1f} s")


def poke(api, namespace, value, annotations=None):
    """An annotation write (``example.com/poke: value``, or the merge patch ``annotations``): wakes
    ansible-operator at once (watchAnnotationsChanges), unlike a status write."""
    api.patch(nvj.API_VERSION, nvj.KIND, world.JOB_NAME,
              {"metadata": {"annotations": annotations or {"example.com/poke": value}}}, namespace=namespace)


def next_run(operator, api, namespace, value, annotations=None):
    """Wake the job (``poke``); the row of its next run in ``operator.run_table``: ``requeue`` is what that run
    asked ansible-operator for (from the operator's log), None when it asked for none."""
    since = time.time()
    poke(api, namespace, value, annotations)
    operator.wait_for(lambda: [r for r in operator.run_table(world.JOB_NAME, namespace)
                               if r["start"] >= since and r["end"]], what=f"the run after poke {value}")
    return [r for r in operator.run_table(world.JOB_NAME, namespace) if r["start"] >= since][0]


def backed_off(started, run, cap):
    """The requeues the policy allows for a job started at ``started`` (epoch s) and read by ``run``: a fifth of
    its running time at some moment between the run's start and its requeue, at least the base 10 s, at most
    ``cap``."""
    return {f"{min(cap, max(10, int((moment - started) * 0.2)))}s"
            for moment in range(int(run["start"]), int(run["returned"] or run["end"]) + 2)}


def test_the_running_poll_backs_off_with_the_running_time(start_operator, api, namespace):
    """With the Deployment's running poll unchanged, an unfinished job is requeued after 10 s (the role's
    requeue_after, parsed by ansible-operator as a Go duration), not after reconcilePeriod; for a job with a sync
    wave the wait grows to a fifth of the time the job has been running (status.startTime), never beyond 60 s,
    one without is polled every 10 s (its cap), and a finished job is not requeued. Read from the operator's own
    log, not timed. min_interval 0: a debounced Application write would be deferred work, and requeue_after is the
    sooner of that and the poll. The poll state is off: each step wakes the job with an annotation write while its
    poll is armed, and with the state a woken run asks for the armed instant instead
    (test_a_wake_up_while_a_requeue_is_armed_leaves_one_poll_chain)."""
    operator = start_operator(namespace, env={"NOTEBOOK_CONTROLLER_ARGOCD_NAMESPACE": namespace,
                                              "NOTEBOOK_CONTROLLER_MIN_INTERVAL": "0",
                                              "NOTEBOOK_CONTROLLER_POLL_STATE": ""})
    world.build(api, namespace)
    operator.wait_for(lambda: operator.requeues(world.JOB_NAME, namespace), what="a requeue")
    assert operator.requeues(world.JOB_NAME, namespace) == ["10s"]  # no status yet: the base
    world.set_phase(api, namespace, world.JOB_NAME, "ValidationRunning", started=now(-20))
    assert next_run(operator, api, namespace, "1")["requeue"] == "10s"  # a fifth of the running time is below
    started = int(time.time()) - 110  # whole seconds, as the status is written
    world.set_phase(api, namespace, world.JOB_NAME, "ValidationRunning", started=now(-110))
    run = next_run(operator, api, namespace, "2")
    assert run["requeue"] in backed_off(started, run, 60), run  # ~22 s (more when the run starts late)
    assert run["requeue"] not in ("10s", "1m0s"), run
    world.set_phase(api, namespace, world.JOB_NAME, "ValidationRunning", started=now(-600))
    # the cap: 60 s for a job with a sync wave (the Go operator's wave annotations wake its completion's run),
    # 10 s without one (only the poll finds its completion); the wave's removal is a wake-up of its own
    assert next_run(operator, api, namespace, "3")["requeue"] == "1m0s"
    assert next_run(operator, api, namespace, "the wave removed", {nvj.ANN_SYNC_WAVE: None})["requeue"] == "10s"
    world.set_phase(api, namespace, world.JOB_NAME, "Succeeded", started=now(-600), completed=now())
    assert next_run(operator, api, namespace, "4")["requeue"] is None
    assert operator.errors() == []


def record_figures(tmp_path, operator, extra):
    """Per-run CPU and wall figures for docs/operator.md (printed; -s shows them)."""
    table = operator.run_table(world.JOB_NAME, None)
    figures = dict(extra, runs=len(table), cpu=operator.cpu_seconds())
    print("OPERATOR FIGURES " + json.dumps(figures))
    (tmp_path / "figures.json").write_text(json.dumps(figures))
