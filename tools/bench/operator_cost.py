"""Benchmark 5: the controller under the real ansible-operator (tools/real_operator.py), with the
Deployment's settings (running poll 15 s growing to at most 30 s, or 60 s for a job with a sync wave; 2
workers; min_interval 0 so every completion is counted at once).

The bench plays the Go operator. Two jobs validate for ``minutes`` (runs while they run, at their completion,
until quiet), one without a sync wave and one with. Next to them, ``latency_jobs`` jobs that started at random
moments before the bench complete at random moments during it: for each, the seconds from the status write
(``phase: Succeeded``) to the trigger record on the job (``mlops.dev/trigger-status``, written when the restart
trigger fired). Every other one has a sync wave, so the Go operator follows its status write with its wave
annotations (``world.complete``), which wake the run at once; the others have none, so only the running poll
finds their completion. Runs, their wall time and requeues come from the operator's own log; CPU from the
operator's reaped children (ansible-runner, ansible-playbook, the modules).
"""

import datetime
import random
import statistics
import time

from ansible_collections.mlops.gitops.plugins.module_utils import nvj
from real_operator import AnsibleOperator

from tests.support import world

NAMESPACE = "bench-operator"
LONG = "long-validation"
LONG_WAVED = "long-validation-waved"  # the same with a sync wave: polled at most every 60 s, not 30 s


def _now(offset=0.0):
    return datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=offset)


def _running_job(name, started, wave=None):
    # the restart trigger: the triggers step records nothing for a job without one, and the latency is to it
    return world.job(NAMESPACE, name=name, wave=wave, trigger=world.RESTART_TRIGGER,
                     status=world.status(name, "ValidationRunning", started=world.stamp(started)))


def _complete(api, name):
    """The Go operator finishing the job: its status write, then (sync wave only) its wave annotations."""
    at = time.time()
    world.complete(api, NAMESPACE, name, {"phase": nvj.SUCCEEDED, "completionTime": world.stamp(_now()),
                                          "message": "phase Succeeded"})
    return at


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return None
    index = min(len(ordered) - 1, max(0, int(round(fraction * len(ordered) + 0.5)) - 1))
    return ordered[index]


def operator_cost(cluster, workdir, minutes=10.0, latency_jobs=10, seed=12, quiet=75, env=None):
    from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi

    target = cluster.direct()
    api = KubeApi.from_auth(kubeconfig=target.kubeconfig)
    target.create_namespace(NAMESPACE, service_account=True)
    target.load([world.application(NAMESPACE), world.inference_service(NAMESPACE)]
                + [world.pod(NAMESPACE, name) for name in world.predictor_pod_names()])
    settings = {"NOTEBOOK_CONTROLLER_ARGOCD_NAMESPACE": NAMESPACE, "NOTEBOOK_CONTROLLER_MIN_INTERVAL": "0"}
    settings.update(env or {})
    operator = AnsibleOperator(target, workdir / "bench-operator", [NAMESPACE], env=settings)
    operator.start()
    try:
        rng = random.Random(seed)
        window = minutes * 60
        begin = time.time()
        target.load([_running_job(LONG, _now()), _running_job(LONG_WAVED, _now(), wave=3)])
        plan = {}
        for index in range(latency_jobs):
            name = "latency-{0}".format(index)
            age = rng.uniform(0, 300)
            wave = 3 if index % 2 == 0 else None  # woken by the Go operator's wave annotations, or polled
            target.load([_running_job(name, _now(-age), wave=wave)])
            plan[name] = {"age": age, "at": begin + rng.uniform(30, window - 30), "woken": wave is not None}
        completed, triggered = {}, {}
        while time.time() - begin < window or len(triggered) < len(plan):
            moment = time.time()
            for name, entry in plan.items():
                if name not in completed and moment >= entry["at"]:
                    completed[name] = _complete(api, name)
            if set(completed) - set(triggered):
                for obj in api.list(nvj.API_VERSION, nvj.KIND, namespace=NAMESPACE):
                    name = nvj.metadata(obj)["name"]
                    if name in completed and name not in triggered and nvj.ANN_TRIGGER_STATUS in nvj.annotations(obj):
                        triggered[name] = time.time()
            if time.time() - begin > window + 300:
                raise TimeoutError("triggers not seen: {0}".format(sorted(set(plan) - set(triggered))))
            time.sleep(0.25)
        long_done = completed[LONG] = _complete(api, LONG)
        completed[LONG_WAVED] = _complete(api, LONG_WAVED)
        while set((LONG, LONG_WAVED)) - set(triggered):
            for name in set((LONG, LONG_WAVED)) - set(triggered):
                if nvj.ANN_TRIGGER_STATUS in nvj.annotations(api.get(nvj.API_VERSION, nvj.KIND, name, NAMESPACE)):
                    triggered[name] = time.time()
            time.sleep(0.25)
        operator.wait_idle(LONG, NAMESPACE, quiet=quiet, timeout=quiet + 120)
        operator.wait_idle(LONG_WAVED, NAMESPACE, quiet=quiet, timeout=quiet + 120)
        table = operator.run_table(LONG, NAMESPACE)
        waved = operator.run_table(LONG_WAVED, NAMESPACE)
        every = operator.run_table(None, NAMESPACE)
        own, children = operator.cpu_seconds()
        latencies = dict((name, triggered[name] - completed[name]) for name in completed)
        woken_names = sorted([name for name in plan if plan[name]["woken"]] + [LONG_WAVED])
        woken = [latencies[name] for name in woken_names]
        polled = [latencies[name] for name in latencies if name not in woken_names]
        running_for = dict((name, completed[name] - begin + plan[name]["age"]) for name in plan)
        running_for[LONG] = long_done - begin
        running_for[LONG_WAVED] = completed[LONG_WAVED] - begin
        walls = [r["end"] - r["start"] for r in every if r["end"]]
        to_return = [r["returned"] - r["start"] for r in every if r["returned"]]
        return {
            "minutes": minutes,
            "settings": settings,
            "runs_while_running": len([r for r in table if r["start"] < long_done]),
            "runs_at_completion": len([r for r in table if r["start"] >= long_done]),
            "requeues_while_running": [r["requeue"] for r in table if r["start"] < long_done],
            "waved_runs_while_running": len([r for r in waved if r["start"] < completed[LONG_WAVED]]),
            "waved_runs_at_completion": len([r for r in waved if r["start"] >= completed[LONG_WAVED]]),
            "waved_requeues_while_running": [r["requeue"] for r in waved if r["start"] < completed[LONG_WAVED]],
            "runs_total": len(every),
            "cpu_per_run": children / len(every),
            "operator_cpu": own,
            "wall_per_run": statistics.median(walls),
            "returned_per_run": statistics.median(to_return) if to_return else None,
            "latencies": latencies,
            "running_for": running_for,
            "latency_median": statistics.median(latencies.values()),
            "latency_p95": percentile(latencies.values(), 0.95),
            "woken": woken_names,
            "woken_median": statistics.median(woken), "woken_p95": percentile(woken, 0.95),
            "polled_median": statistics.median(polled), "polled_p95": percentile(polled, 0.95),
            "errors": len(operator.errors()),
        }
    finally:
        operator.stop()
