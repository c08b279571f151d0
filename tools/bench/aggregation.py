"""Benchmark 3: the Application status aggregation over N jobs carrying ~20 KB of cell output each.

The jobs are created on the local control plane (create, then status through the subresource, from
a few threads); the aggregation runs in a child process straight against kube-apiserver (no recording
proxy), so its CPU time and memory are the client's alone: timed RUNS times (median wall clock, which
includes kube-apiserver's and etcd's answers, and median client CPU time; RSS high-water mark growth),
then once more under tracemalloc (peak of Python allocations while aggregating). Interleaved with the timed
runs, the floor the API server sets: the same paged list bare (``bare_list``), and that list decoded; and, around
each, where kube-apiserver served the lists from (its watch cache or etcd, from its /metrics).
The child is ``python -m bench.aggregation child <kubeconfig> <namespace>``.
"""

import datetime
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc

from ansible_collections.mlops.gitops.plugins.module_utils import notebook_status, nvj
from ansible_collections.mlops.gitops.plugins.module_utils.kube import continue_hint

from harness import world
from harness.cluster import rss_mib

SIZES = (100, 1000, 10000)
OUTPUT_BYTES = 20 * 1024
TARGET_SECONDS = 30.0
EPOCH = datetime.datetime(2026, 3, 1, 12, 0, 0, tzinfo=datetime.UTC)
PAGE_SIZE = notebook_status.DEFAULTS["page_size"]  # what reconcile lists with
RUNS = 5  # timed runs per N and per list (reconcile, floor, list + decode), interleaved; the median is reported


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
    local = cluster.local  # the control plane this run started (None on a user's cluster)
    cluster = cluster.direct()
    rows = []
    for count in sizes:
        namespace = "bench-agg-{0}".format(count)
        started = time.perf_counter()
        load(cluster, namespace, count)
        loaded = time.perf_counter() - started
        row = run_child(cluster.kubeconfig, namespace)
        row.update(n=count, load_seconds=loaded,  # kube-apiserver holds every job in its watch cache
                   apiserver_rss_mib=rss_mib(local.processes["kube-apiserver"]) if local else None)
        expected = (count, count - (count + 9) // 10, (count + 9) // 10)
        if (row["total"], row["succeeded"], row["failed"]) != expected:
            raise AssertionError("aggregation of {0} jobs counted {1}".format(count, row))
        if row["pages"] != -(-count // PAGE_SIZE):  # the floor followed every continue token
            raise AssertionError("the floor's list of {0} jobs read {1} pages".format(count, row["pages"]))
        rows.append(row)
    first, last = rows[0], rows[-1]
    return {
        "rows": rows,
        "time_growth": last["seconds"] / first["seconds"],
        "n_growth": last["n"] / first["n"],
        "memory_growth": last["peak_bytes"] / first["peak_bytes"],
        "page_size": PAGE_SIZE,
        "load": " ".join("{0:.1f}".format(v) for v in os.getloadavg()),
    }


def bare_list(api, namespace, page_size, decode=False):
    """The floor: the same paged list as ``KubeApi.list`` (``limit``/``continue``, same client and credentials),
    one page after the other, each body read and thrown away, its continue token read from its tail (``decode``:
    parsed by ``json.loads`` too). ``(pages, bytes)``."""
    path = api.resource(nvj.API_VERSION, nvj.KIND).path(namespace=namespace)
    token, pages, size = None, 0, 0
    while True:
        query = [("limit", page_size)] + ([("continue", token)] if token else [])
        body = api.client.request("GET", path, query_params=query, serialize=False).data
        pages, size = pages + 1, size + len(body)
        token = json.loads(body)["metadata"].get("continue") if decode else continue_hint(body)
        if not token:
            return pages, size


def served(api):
    """``(from the watch cache, from etcd)``: kube-apiserver's count of NVJ lists each served (its /metrics)."""
    text = api.client.request("GET", "/metrics", serialize=False).data.decode()
    counts = []
    for metric in ("apiserver_cache_list_total", "apiserver_storage_list_total"):
        pattern = r'^{0}{{[^}}]*resource="{1}"[^}}]*}} (\S+)$'.format(metric, nvj.PLURAL)
        counts.append(sum(float(v) for v in re.findall(pattern, text, re.M)))
    return tuple(counts)


def timed(api, run):
    """``(wall s, client CPU s, cache lists, etcd lists, run's result)`` of ``run()``."""
    before = served(api)
    wall, cpu = time.perf_counter(), time.process_time()
    result = run()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = served(api)
    return wall, cpu, after[0] - before[0], after[1] - before[1], result


def child(kubeconfig, namespace):
    from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi

    api = KubeApi.from_auth(kubeconfig=kubeconfig)
    job = api.get(nvj.API_VERSION, nvj.KIND, "job-00001", namespace)  # the job whose event woke us
    options = {"argocd_namespace": namespace, "min_interval": 0}

    def reconcile():
        return notebook_status.reconcile(api, job, options=options)

    def floor():
        return bare_list(api, namespace, PAGE_SIZE)

    def decoded():
        return bare_list(api, namespace, PAGE_SIZE, decode=True)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    samples = dict((run.__name__, []) for run in (reconcile, floor, decoded))
    result, requests, size = None, None, None
    for _ in range(RUNS):  # interleaved, so that the machine's load weighs on each alike
        for run in (floor, reconcile, decoded):
            sample = timed(api, run)
            samples[run.__name__].append(sample)
            if run is reconcile and result is None:  # the first run writes the Application; later ones find it
                result, requests = sample[4], dict(api.counts)
            if run is floor:
                size = sample[4]
    rss_growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) * 1024
    tracemalloc.start()
    traced = reconcile()
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    entry = result["applications"][0]
    assert traced["applications"][0]["total"] == entry["total"]
    row = {"peak_bytes": peak, "rss_growth_bytes": rss_growth, "action": entry["action"], "total": entry["total"],
           "succeeded": entry["succeeded"], "failed": entry["failed"], "requests": requests,
           "pages": size[0], "list_bytes": size[1]}
    for name, runs in samples.items():
        prefix = "" if name == "reconcile" else name + "_"
        row[prefix + "seconds"] = statistics.median(r[0] for r in runs)
        row[prefix + "cpu_seconds"] = statistics.median(r[1] for r in runs)
        row[prefix + "served"] = {"cache": sum(r[2] for r in runs) / RUNS, "etcd": sum(r[3] for r in runs) / RUNS}
        row[prefix + "samples"] = [r[0] for r in runs]
    # each reconcile against the floor measured just before it: the machine's load drifts less within a pair
    row["ratio"] = statistics.median(r[0] / f[0] for r, f in zip(samples["reconcile"], samples["floor"]))
    json.dump(row, sys.stdout)


if __name__ == "__main__" and sys.argv[1:2] == ["child"]:
    child(*sys.argv[2:4])
