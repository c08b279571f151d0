"""Process faults under the real ansible-operator and the real control plane (harness/operator_faults.py
runs them; `make bench-faults` runs the same with a burst of 100 and reports the figures in docs/benchmarks.md).

- ansible-operator SIGKILLed, with everything under it, at each point of a completion's run (before the claim,
  after it, after the action, after the action's Event, after the record), found by the recording proxy holding
  that very request, then started again: each target acted on once, one Event of each kind, the wave marker and
  the Application's aggregate right, no claim left pending, and a claim the killed run left taken over only once
  its lease (``trigger_record.CLAIM_TTL``) ran out, never before.
- in the middle of one burst of completions, on a control plane of this module's own (the session's serves every
  other test): kube-apiserver SIGKILLed and started again, then etcd, then the leader of two replicas SIGKILLed
  (the standby takes over): every job drained, exactly once.

Sizes: one burst of 10 completions with the three faults, where benchmark 8 runs a burst of 100 per fault. Every
run costs the machine 3-4 CPU seconds, and a burst of N costs about 2N runs after the N first ones; 10 is enough to
have runs in flight, queued and done when each fault hits (a quarter, a half and three quarters of the jobs
drained), and keeps this module to about 6 minutes on 2 cores, 2 of them the 120 s lease of the kill points (the
points that leave a claim are played first, so the others run while it runs out).
The running poll is set far out (nothing here waits for it: the Go operator's wave annotations wake each
completion's run), so that the jobs waiting for their completion cost no runs.
"""

import pytest
from ansible_collections.mlops.gitops.plugins.module_utils import nvj, trigger_record
from harness.operator_faults import MARKERS, POINTS, fault_burst, kill_points
from harness.cluster import install_crds

from harness.crds import crd_paths
from harness.session import TestCluster

BURST = 10
# Shorter than the defaults (15 s lease, 10 s renew deadline) so that each restart of the killed operator takes the
# Lease quickly; the burst keeps the defaults (a shorter renew deadline loses the Lease while kube-apiserver is away).
LEASE = ["--leader-elect-lease-duration=6s", "--leader-elect-renew-deadline=4s"]
QUIET = {"NOTEBOOK_CONTROLLER_RUNNING_REQUEUE": "600", "NOTEBOOK_CONTROLLER_RUNNING_REQUEUE_MAX": "600",
         "NOTEBOOK_CONTROLLER_ANNOUNCED_REQUEUE_MAX": "600"}
ONCE = [("TriggerSucceeded", 1), ("ValidationSucceeded", 1)]


@pytest.fixture(scope="module")
def own_cluster(cluster, tmp_path_factory):
    """A control plane of this module's own, to restart kube-apiserver and etcd in; none on a user's cluster."""
    if cluster.local is None:
        pytest.skip("restarts kube-apiserver and etcd: needs the local control plane")
    local = TestCluster.start(tmp_path_factory.mktemp("faults"), pods=False)
    try:
        install_crds(local.kubeconfig, crd_paths())
        yield local
    finally:
        local.stop()


def assert_exactly_once(result):
    tally = result["tally"]
    assert tally["not_once"] == [], f"jobs whose target was not restarted once or whose Events are not one: {tally}"
    assert tally["actions"] == result["jobs"]
    assert tally["events"] == {"ValidationSucceeded": result["jobs"], "TriggerSucceeded": result["jobs"]}
    assert tally["other_events"] == []
    assert result["pending"] == [], "claims left pending after the drain"
    assert result["markers_wrong"] == []
    assert (result["aggregate"]["total"], result["aggregate"]["succeeded"]) == (result["jobs"], result["jobs"])


@pytest.mark.slow
def test_the_operator_killed_at_each_point_of_a_completion_acts_once(cluster, tmp_path, operator_runtime):
    if cluster.proxy is None:
        pytest.skip("finds each point through the recording proxy")
    result = kill_points(cluster, tmp_path, env=QUIET, args=LEASE, cleanup=True)
    assert result["restarts"] == len(POINTS)
    for point, row in result["points"].items():
        assert row["actions"] == 1, (point, row)
        assert row["events"] == ONCE, (point, row)
        assert row["markers"] == MARKERS, (point, row)
        assert [item["result"] for item in row["record"]] == ["succeeded"], (point, row)
        claimed = nvj.parse_time(row["claimed"]) if row["claimed"] else None
        # the killed run's claim reached the server exactly where the request held was the claim or came after it
        assert (claimed is not None) == (POINTS[point][1] and point != "after the record"), (point, row)
        if claimed is not None:  # taken over once its lease ran out, not before
            settled = nvj.parse_time(row["settled"][0])
            assert (settled - claimed).total_seconds() >= trigger_record.CLAIM_TTL, (point, row)
    assert result["pending"] == []
    assert result["tally"]["other_events"] == []
    assert (result["aggregate"]["total"], result["aggregate"]["succeeded"]) == (len(POINTS), len(POINTS))


@pytest.mark.slow
def test_a_burst_drains_exactly_once_through_kube_apiserver_etcd_and_leader_failures(own_cluster, tmp_path,
                                                                                       operator_runtime):
    result = fault_burst(own_cluster, tmp_path, BURST, faults=("kube-apiserver", "etcd", "leader"), env=QUIET,
                         quiet=5)
    assert [f["fault"] for f in result["fired"]] == ["kube-apiserver", "etcd", "leader"]
    assert_exactly_once(result)
