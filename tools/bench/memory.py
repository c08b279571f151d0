"""Issue 23, target 6: the controller's memory under the real ansible-operator, sampled while a benchmark runs.

``Sampler(pid)`` reads, every ``interval`` seconds from /proc: the resident memory of ansible-operator itself
(VmRSS), and for each of its runs (an ansible-runner child, with the ansible-playbook and the forked workers under
it) the proportional set size of its process tree (PSS, smaps_rollup: shared pages split between the processes
that share them, so a tree's sum counts each page once, as the container's memory cgroup does). ``phase(name)``
labels the samples that follow; ``summary()`` gives, per phase, ansible-operator's RSS (first and highest), a run's
peak (highest tree, over all the phase's runs) and the pod's total (ansible-operator's RSS plus every run at that
moment, the highest). What the Deployment asks for is in roles/notebook_controller_deploy/defaults/main.yml.
"""

import contextlib
import threading
from pathlib import Path

MIB = 1024 * 1024


def _parents():
    """``{pid: ppid}`` of every process."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            out[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    return out


def _field(path, name):
    """A ``name: N kB`` field of a /proc status file, in bytes (0 when the process is gone)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path(path).read_text().splitlines():
            if line.startswith(name + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _tree(pid, parents):
    out, pending = [], [pid]
    while pending:
        current = pending.pop()
        out.append(current)
        pending.extend(child for child, parent in parents.items() if parent == current)
    return out


class Sampler:
    def __init__(self, pid, interval=0.5):
        self.pid, self.interval = pid, interval
        self.samples = []  # (phase, operator RSS, [PSS of each run's tree])
        self._phase = "start"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def phase(self, name):
        self._phase = name

    def sample(self):
        parents = _parents()
        runs = [sum(_field("/proc/{0}/smaps_rollup".format(p), "Pss") for p in _tree(child, parents))
                for child, parent in parents.items() if parent == self.pid]
        rss = _field("/proc/{0}/status".format(self.pid), "VmRSS")
        if rss:
            self.samples.append((self._phase, rss, runs))

    def _loop(self):
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)

    def summary(self):
        """``{phase: {"operator_first", "operator_max", "run_max", "total_max" (MiB), "samples"}}``."""
        out = {}
        for phase in dict.fromkeys(p for p, _rss, _runs in self.samples):
            rows = [(rss, runs) for p, rss, runs in self.samples if p == phase]
            out[phase] = {
                "operator_first": rows[0][0] / MIB,
                "operator_max": max(rss for rss, _runs in rows) / MIB,
                "run_max": max([max(runs) for _rss, runs in rows if runs] or [0]) / MIB,
                "total_max": max(rss + sum(runs) for rss, runs in rows) / MIB,
                "samples": len(rows),
            }
        return out
