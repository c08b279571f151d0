"""Benchmark 5's floor (issue 23): the CPU of one ansible-runner run as ansible-operator makes it, for an empty role
(the floor ansible-operator sets: ansible-runner, ansible-playbook's start-up, the event plugin), for a poll of a
running job and for a completion of this collection's controller role, under the same real ansible-operator and
runtime, measured in one run so that their ratios hold on a noisy machine.

CPU is the operator's reaped children (ansible-runner and everything under it), read after each run's runner exited.
The floor is an empty role that ansible-operator runs every ``PERIOD`` (its reconcilePeriod); the polls are the
controller's running poll set to ``PERIOD``; each completion is a job created Succeeded with a restart trigger,
waited for until idle (the acting run and the one its own writes cause).
"""

import statistics
import time
from pathlib import Path

from ansible_collections.mlops.gitops.plugins.module_utils import nvj
from harness import world
from harness.real_operator import GVK, AnsibleOperator

NAMESPACE = "bench-floor"
RESTART = "- {apiVersion: apps/v1, kind: Deployment, name: model, action: restart}\n"
PERIOD = 2  # seconds between the runs measured (reconcilePeriod of the floor, running poll of the controller)


def _children(operator):
    return operator.cpu_seconds()[1]


def _per_run(operator, name, runs):
    """CPU of each of ``runs`` consecutive runs of one job: the reaped children's CPU between runner exits."""
    table = operator.wait_for(lambda: [r for r in operator.run_table(name, NAMESPACE) if r["end"]] or None,
                              timeout=120, what="a first run")
    seen, cpu, out = len(table), _children(operator), []
    while len(out) < runs:
        ended = [r for r in operator.run_table(name, NAMESPACE) if r["end"]]
        if len(ended) > seen:
            now = _children(operator)
            out.append((now - cpu) / (len(ended) - seen))
            seen, cpu = len(ended), now
        time.sleep(0.05)
        if operator.proc.poll() is not None:
            raise RuntimeError(operator.log_tail())
    return out


def run_floor(cluster, workdir, runs=10, completions=5, env=None):
    """``{"floor": [cpu], "poll": [cpu], "completion": [cpu per completion], "completion_runs": [runs]}``."""
    from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi

    workdir = Path(workdir)
    cluster = cluster.direct()
    api = KubeApi.from_auth(kubeconfig=cluster.kubeconfig)
    cluster.create_namespace(NAMESPACE, service_account=True)
    world.create(api, world.deployment(NAMESPACE, "model", replicas=1))
    out = {}

    role = workdir / "roles" / "empty"
    (role / "tasks").mkdir(parents=True, exist_ok=True)
    (role / "tasks" / "main.yml").write_text("---\n[]\n")
    watches = (f"- version: {GVK[1]}\n  group: {GVK[0]}\n  kind: {GVK[2]}\n  role: {role}\n"
               f"  reconcilePeriod: {PERIOD}s\n  manageStatus: false\n  watchDependentResources: false\n")
    world.create(api, world.job(NAMESPACE, name="floor"))
    with AnsibleOperator(cluster, workdir / "floor", NAMESPACE, watches=watches, env=env) as operator:
        out["floor"] = _per_run(operator, "floor", runs)
    api.delete(nvj.API_VERSION, nvj.KIND, "floor", NAMESPACE)

    env = {"NOTEBOOK_CONTROLLER_RUNNING_REQUEUE": str(PERIOD), "NOTEBOOK_CONTROLLER_RUNNING_REQUEUE_MAX": str(PERIOD),
           "NOTEBOOK_CONTROLLER_ARGOCD_NAMESPACE": NAMESPACE, "NOTEBOOK_CONTROLLER_MIN_INTERVAL": "0", **(env or {})}
    with AnsibleOperator(cluster, workdir / "controller", NAMESPACE, env=env) as operator:
        world.create(api, world.job(NAMESPACE, name="poll", status=world.status("poll", "ValidationRunning")))
        out["poll"] = _per_run(operator, "poll", runs)
        api.delete(nvj.API_VERSION, nvj.KIND, "poll", NAMESPACE)
        operator.wait_idle("poll", NAMESPACE)
        out["completion"], out["completion_runs"] = [], []
        for i in range(completions):
            name = f"done-{i}"
            cpu = _children(operator)
            world.create(api, world.job(NAMESPACE, name=name, trigger=RESTART,
                                        status=world.status(name, "Succeeded", completed=world.stamp())))
            operator.wait_for(lambda name=name: world.trigger_record(world.get_job(api, NAMESPACE, name)),
                              timeout=120, what=f"{name}'s trigger")
            operator.wait_idle(name, NAMESPACE)
            out["completion"].append(_children(operator) - cpu)
            out["completion_runs"].append(len(operator.runs(name, NAMESPACE)))
    return out


def summary(result):
    floor = statistics.median(result["floor"])
    rows = []
    for key in ("floor", "poll", "completion"):
        values = result[key]
        median = statistics.median(values)
        rows.append((key, len(values), median, min(values), max(values), median / floor))
    return rows
