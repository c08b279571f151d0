"""Benchmark 3: the Application status aggregation over N jobs carrying ~20 KB of cell output each.

The jobs are created on the local control plane (create, then status through the subresource, from
a few threads); the aggregation runs in a child process straight against kube-apiserver (no recording
proxy), so its CPU time and memory are the client's alone: timed RUNS times (median wall clock, which
includes kube-apiserver's and etcd's answers, and median client CPU time; RSS high-water mark growth),
then once more under tracemalloc (peak of Python allocations while aggregating).
The child is ``python -m bench.aggregation child <kubeconfig> <namespace>``.
"""

import datetime
import json
import os
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc

from ansible_collections.mlops.gitops.plugins.module_utils import nvj

from harness import world

SIZES = (100, 1000, 10000)
OUTPUT_BYTES = 20 * 1024
TARGET_SECONDS = 30.0
EPOCH = datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=datetime.UTC)
RUNS = 3  # timed runs per N; the median is reported


def load(cluster, namespace, count):
    output = world.cell_results(OUTPUT_BYTES)
    jobs = (bench_job(namespace, "job-{0:05d}".format(i), "Failed" if i % 10 == 0 else "Succeeded", output)
            for i in range(count))
    cluster.create_namespace(namespace)
    cluster.load(world.application(namespace))
    cluster.load_many(jobs)


def bench_job(namespace, name, phase, results=None):
    """A job of the Application ``platform`` (wave 3, no trigger) in ``phase`` at ``EPOCH``."""
    return world.job(namespace, name, wave=3, labels={nvj.LABEL_INSTANCE: world.APP_NAME},
                     status=world.status_at(name, phase, EPOCH, results=results))


def run_child(kubeconfig, namespace):
    env = dict(os.environ)
    tools = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] = os.pathsep.join([tools, os.path.dirname(tools), env.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, "-m", "bench.aggregation", "child", kubeconfig, namespace],
                          capture_output=True, text=True, env=env, timeout=900)
    if proc.returncode != 0:
        raise RuntimeError("aggregation child failed:\n" + proc.stderr[-3000:])
    return json.loads(proc.stdout)


def aggregation(cluster, sizes=SIZES):
    """Benchmark 3 on ``cluster`` (the session's ``TestCluster``), without the recording proxy."""
    cluster = cluster.direct()
    rows = []
    for count in sizes:
        namespace = "bench-agg-{0}".format(count)
        started = time.perf_counter()
        load(cluster, namespace, count)
        loaded = time.perf_counter() - started
        row = run_child(cluster.kubeconfig, namespace)
        row.update(n=count, load_seconds=loaded)
        expected = (count, count - (count + 9) // 10, (count + 9) // 10)
        if (row["total"], row["succeeded"], row["failed"]) != expected:
            raise AssertionError("aggregation of {0} jobs counted {1}".format(count, row))
        rows.append(row)
    first, last = rows[0], rows[-1]
    return {
        "rows": rows,
        "time_growth": last["seconds"] / first["seconds"],
        "n_growth": last["n"] / first["n"],
        "memory_growth": last["peak_bytes"] / first["peak_bytes"],
        "page_size": 500,
    }


def child(kubeconfig, namespace):
    from ansible_collections.mlops.gitops.plugins.module_utils import notebook_status
    from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi

    api = KubeApi.from_auth(kubeconfig=kubeconfig)
    job = api.get(nvj.API_VERSION, nvj.KIND, "job-00001", namespace)  # the job whose event woke us
    options = {"argocd_namespace": namespace, "min_interval": 0}
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    walls, cpus, result, requests = [], [], None, None
    for _ in range(RUNS):
        wall, cpu = time.perf_counter(), time.process_time()
        outcome = notebook_status.reconcile(api, job, options=options)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        if result is None:  # the first run writes the Application; later ones find it unchanged
            result, requests = outcome, dict(api.counts)
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) * 1024
    tracemalloc.start()
    traced = notebook_status.reconcile(api, job, options=options)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    entry = result["applications"][0]
    assert traced["applications"][0]["total"] == entry["total"]
    json.dump({"seconds": statistics.median(walls), "cpu_seconds": statistics.median(cpus),
               "peak_bytes": peak, "rss_growth_bytes": rss_growth,
               "action": entry["action"], "total": entry["total"], "succeeded": entry["succeeded"],
               "failed": entry["failed"], "requests": requests}, sys.stdout)


if __name__ == "__main__" and sys.argv[1:2] == ["child"]:
    child(*sys.argv[2:4])
