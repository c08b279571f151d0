"""Benchmark 5b: a burst of completions under the real ansible-operator (harness/real_operator.py), with the
Deployment's settings (running poll 15 s growing to 30 s, min_interval 0) and ``--max-concurrent-reconciles``
2 (the default) and then 4, each in a namespace and an operator of its own.

The bench plays the Go operator: it creates ``jobs`` running NotebookValidationJobs (harness/world.py
builders; each carries the restart trigger of the one InferenceService), lets the operator give each job its
first run, then completes all of them at once as the Go operator does (``world.complete``: the status
subresource write, then its wave annotations, which wake each job's run at once). Measured from the first
completion write: when every job has its completion effects (the trigger record on the job, every target
succeeded, its ValidationSucceeded Event, the Application's aggregate counting all of them as succeeded; the
wave marker is not one of them, since the Go operator writes it too), and when the operator is idle again
(every run ended, nothing queued or reconciling, for ``quiet`` s). Runs from the operator's log, CPU from its
reaped children (ansible-runner and everything under it), both over the drain.
"""

import contextlib
import datetime
import json
import statistics
import time

from ansible_collections.mlops.gitops.plugins.module_utils import nvj
from harness.real_operator import AnsibleOperator

from harness import world

WORKERS = (2, 4)
JOBS = 100


def _now(offset=0.0):
    return datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=offset)


def _names(jobs):
    return ["burst-{0:03d}".format(i) for i in range(jobs)]


def _done(api, namespace, names):
    """The jobs whose completion effects are all there (one list of jobs, one of Events, one Application).
    The trigger record is written by the same run (one ``notebook_reconcile``) as this collection's wave marker."""
    jobs = dict((nvj.metadata(o)["name"], o) for o in api.list(nvj.API_VERSION, nvj.KIND, namespace=namespace))
    events = set(e.get("involvedObject", {}).get("name") for e in api.list("v1", "Event", namespace=namespace)
                 if e.get("reason") == "ValidationSucceeded")
    done = set(n for n in names if n in jobs and n in events and _recorded(jobs[n]))
    app = api.get(*world.APP, world.APP_NAME, namespace) or {}
    status = json.loads((nvj.annotations(app) or {}).get(nvj.ANN_NOTEBOOK_STATUS) or "{}")
    return done, status.get("succeeded") == len(names)


def _recorded(job):
    """Every target of the job's trigger record has succeeded (a claim still ``pending`` is not done)."""
    targets = (world.trigger_record(job) or {}).get("targets") or []
    return bool(targets) and all(item.get("result") == "succeeded" for item in targets)


def _idle(operator, namespace, quiet, timeout):
    deadline = time.monotonic() + timeout
    calm_since = None
    while True:
        table = operator.run_table(None, namespace)
        calm = all(r["end"] for r in table) and not operator.busy()
        calm_since = (calm_since or time.time()) if calm else None
        if calm and time.time() - calm_since >= quiet:
            return calm_since
        if time.monotonic() > deadline:
            raise TimeoutError("{0}: the operator was not idle in {1} s".format(namespace, timeout))
        time.sleep(0.5)


def one_burst(cluster, api, workdir, jobs, workers, quiet=10, env=None, sampler=None):
    """One row of the burst. ``sampler``: ``sampler(pid)``, a context manager over ansible-operator's pid with
    ``phase(name)`` and ``summary()`` (tools/bench/memory.py), given the phases ``idle`` (started, no job yet),
    ``first runs`` and ``burst`` (from the first completion write until idle); its summary is ``memory``."""
    namespace = "bench-burst-{0}w".format(workers)
    cluster.create_namespace(namespace, service_account=True)
    cluster.load([world.application(namespace), world.inference_service(namespace)]
                 + [world.pod(namespace, name) for name in world.predictor_pod_names()])
    settings = {"NOTEBOOK_CONTROLLER_ARGOCD_NAMESPACE": namespace, "NOTEBOOK_CONTROLLER_MIN_INTERVAL": "0"}
    settings.update(env or {})
    operator = AnsibleOperator(cluster, workdir / namespace, [namespace], env=settings,
                               args=["--max-concurrent-reconciles={0}".format(workers)])
    operator.start()
    watching = contextlib.ExitStack()
    try:
        memory = watching.enter_context(sampler(operator.proc.pid)) if sampler else None
        if memory:
            memory.phase("idle")
            time.sleep(5)
            memory.phase("first runs")
        names = _names(jobs)
        begin = time.time()
        cluster.load([world.job(namespace, name=name, wave=3, trigger=world.RESTART_TRIGGER,
                                labels={nvj.LABEL_INSTANCE: world.APP_NAME},
                                status=world.status(name, "ValidationRunning", started=world.stamp(_now(-60))))
                      for name in names])
        operator.wait_for(lambda: set(names) <= set(r["name"] for r in operator.records()
                                                    if "job" in r and r.get("namespace") == namespace),
                          timeout=60 * 60, interval=1, what="a first run of every job")
        settled = time.time() - begin
        runs_before = len(operator.runs(None, namespace))
        cpu_before = operator.cpu_seconds()
        completed = time.time()
        if memory:
            memory.phase("burst")
        for name in names:
            world.complete(api, namespace, name, {"phase": nvj.SUCCEEDED, "completionTime": world.stamp(_now()),
                                                  "message": "phase Succeeded"})
        written = time.time() - completed
        progress = []  # (seconds after the first completion write, jobs with every effect)
        seen = {}  # job: seconds after the first completion write when its effects were all there
        while True:
            done, aggregate = _done(api, namespace, names)
            progress.append((time.time() - completed, len(done)))
            for name in done:
                seen.setdefault(name, time.time() - completed)
            if len(done) == len(names) and aggregate:
                break
            if time.time() - completed > 60 * 60:
                raise TimeoutError("{0}: {1} of {2} jobs drained in an hour".format(namespace, len(done), jobs))
            time.sleep(1)
        drained = time.time() - completed
        idle = _idle(operator, namespace, quiet, timeout=60 * 60) - completed
        table = operator.run_table(None, namespace)
        own, children = operator.cpu_seconds()
        walls = [r["end"] - r["start"] for r in table if r["start"] >= completed and r["end"]]
        return {
            "workers": workers, "jobs": jobs, "settle_s": settled, "writes_s": written,
            "drained_s": drained, "idle_s": idle, "progress": progress,
            "job_median_s": statistics.median(seen.values()),
            "job_p95_s": sorted(seen.values())[max(0, int(round(0.95 * len(seen) + 0.5)) - 1)],
            "runs_to_settle": runs_before, "runs_drain": len(table) - runs_before,
            "cpu_drain": children - cpu_before[1], "operator_cpu_drain": own - cpu_before[0],
            "wall_per_run": statistics.median(walls) if walls else None,
            "errors": len(operator.errors()),
            "memory": memory.summary() if memory else None,
        }
    finally:
        watching.close()
        operator.stop()


def operator_burst(cluster, workdir, jobs=JOBS, workers=WORKERS, env=None, sampler=None):
    from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi

    target = cluster.direct()
    api = KubeApi.from_auth(kubeconfig=target.kubeconfig)
    runs = [one_burst(target, api, workdir, jobs, count, env=env, sampler=sampler) for count in workers]
    base = runs[0]
    for run in runs:
        run["drain_ratio"] = run["drained_s"] / base["drained_s"]
        run["idle_ratio"] = run["idle_s"] / base["idle_s"]
        run["cpu_ratio"] = run["cpu_drain"] / base["cpu_drain"]
    return {"jobs": jobs, "runs": runs}

