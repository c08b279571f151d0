"""Benchmark 4: 1,000 jobs of one Application reach Succeeded within one (simulated) minute.

A discrete-event loop plays the Go operator and the controller: at its moment each job's status
is written (status subresource, over HTTP), which wakes the controller for that job; the
controller runs the Application status step (``notebook_status.reconcile`` with ``now=`` the simulated
time — the only step that writes the Application). A ``deferred`` result requeues the job after
``retry_after`` seconds, one pending requeue per job as in controller-runtime's work queue. The
loop ends when the queue is empty; then the Application writes are counted (every request the client
got an answer for is logged: the loop talks to kube-apiserver directly, without the recording proxy's
Python hop, since its wall time is reported too) and the final annotation is checked against the truth.
"""

import datetime
import heapq
import json
import math
import time

from bench.aggregation import EPOCH, bench_job
from harness import world

JOBS = 1000
WINDOW = 60.0  # seconds in which all jobs succeed
MIN_INTERVAL = 60


def recorded(api):
    """``api`` (a KubeApi) made to log ``(verb, path)`` of every request the server answered with success."""
    log, send = [], api.request

    def request(method, path, verb, *args, **kwargs):
        answer = send(method, path, verb, *args, **kwargs)  # raises on an error status
        log.append((verb, path))
        return answer

    api.request = request
    return log


def burst(cluster, api, jobs=JOBS, window=WINDOW, min_interval=MIN_INTERVAL):
    """Benchmark 4: ``cluster`` is the session's ``TestCluster``, ``api`` a KubeApi straight to kube-apiserver."""
    from ansible_collections.mlops.gitops.plugins.module_utils import notebook_status, nvj, status_tally

    namespace = "bench-burst"
    names = ["job-{0:04d}".format(i) for i in range(jobs)]
    cluster = cluster.direct()
    cluster.create_namespace(namespace)
    cluster.load(world.application(namespace))
    cluster.load_many([bench_job(namespace, n, "ValidationRunning") for n in names])
    options = {"argocd_namespace": namespace, "min_interval": min_interval}
    log = recorded(api)
    queue, pending, seq = [], {}, 0
    for index, name in enumerate(names):
        heapq.heappush(queue, (index * window / jobs, seq, "succeed", name))
        seq += 1
    reconciles = deferred = 0
    written_at = []
    started = time.perf_counter()
    while queue:
        offset, _, kind, name = heapq.heappop(queue)
        moment = EPOCH + datetime.timedelta(seconds=offset)
        if kind == "succeed":
            world.write_status(api, namespace, name, {"phase": "Succeeded", "completionTime": world.stamp(moment)})
        elif pending.get(name) != offset:
            continue  # superseded by an earlier requeue of the same job
        else:
            del pending[name]
        job = api.get(nvj.API_VERSION, nvj.KIND, name, namespace)
        result = notebook_status.reconcile(api, job, options=options, now=moment)
        reconciles += 1
        if any(a.get("action") == status_tally.UPDATED for a in result["applications"]):
            written_at.append(offset)
        waits = [d["retry_after"] for d in result.get("deferred") or []]
        if waits:
            deferred += 1
            when = offset + min(waits)
            if name not in pending or when < pending[name]:
                pending[name] = when
                heapq.heappush(queue, (when, seq, "requeue", name))
                seq += 1
    seconds = time.perf_counter() - started
    writes = [path for verb, path in log if verb == "patch" and "/applications/" in path]
    app = cluster.get(*world.APP, world.APP_NAME, namespace)
    status = json.loads(nvj.annotations(app)[nvj.ANN_NOTEBOOK_STATUS])
    exact = (status["total"], status["succeeded"], status["failed"], status["running"]) == (jobs, jobs, 0, 0) \
        and nvj.annotations(app)[nvj.ANN_NOTEBOOK_SUMMARY] == status_tally.summary(jobs, jobs)
    gaps = [b - a for a, b in zip(written_at, written_at[1:])]
    return {
        "jobs": jobs,
        "window": window,
        "min_interval": min_interval,
        "reconciles": reconciles,
        "lists": sum(1 for verb, _path in log if verb == "list"),
        "deferred": deferred,
        "application_writes": len(writes),
        "bound": int(math.ceil(window / min_interval)) + 1,
        "written_at": written_at,
        "min_gap": min(gaps) if gaps else None,
        "final_status": dict((k, status[k]) for k in ("total", "succeeded", "failed", "running")),
        "final_summary": nvj.annotations(app)[nvj.ANN_NOTEBOOK_SUMMARY],
        "last_update": status["lastUpdate"],
        "exact": exact,
        "seconds": seconds,
    }

