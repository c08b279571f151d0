"""Benchmark 5: the controller under the real ansible-operator (harness/real_operator.py), with the
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
from harness.real_operator import AnsibleOperator

from harness import world

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


def _around(table, done):
    """Of one job's runs: how many started before ``done`` (its completion), the requeues those asked for, and
    how many started from then on."""
    before = [r for r in table if r["start"] < done]
    return len(before), [r["requeue"] for r in before], len(table) - len(before)


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
        # the two long jobs complete when the window ends; the latency jobs at random moments within it
        plan = {}
        for name, wave in ((LONG, None), (LONG_WAVED, 3)):
            target.load([_running_job(name, _now(), wave=wave)])
            plan[name] = {"age": 0.0, "at": begin + window, "woken": wave is not None}
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
        operator.wait_idle(None, NAMESPACE, quiet=quiet, timeout=quiet + 120)
        runs_while, requeues, runs_at = _around(operator.run_table(LONG, NAMESPACE), completed[LONG])
        waved_while, waved_requeues, waved_at = _around(operator.run_table(LONG_WAVED, NAMESPACE),
                                                        completed[LONG_WAVED])
        every = operator.run_table(None, NAMESPACE)
        own, children = operator.cpu_seconds()
        latencies = dict((name, triggered[name] - completed[name]) for name in completed)
        woken_names = sorted(name for name in plan if plan[name]["woken"])
        woken = [latencies[name] for name in woken_names]
        polled = [latencies[name] for name in latencies if name not in woken_names]
        running_for = dict((name, completed[name] - begin + plan[name]["age"]) for name in plan)
        walls = [r["end"] - r["start"] for r in every if r["end"]]
        to_return = [r["returned"] - r["start"] for r in every if r["returned"]]
        return {
            "minutes": minutes,
            "settings": settings,
            "runs_while_running": runs_while,
            "runs_at_completion": runs_at,
            "requeues_while_running": requeues,
            "waved_runs_while_running": waved_while,
            "waved_runs_at_completion": waved_at,
            "waved_requeues_while_running": waved_requeues,
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
