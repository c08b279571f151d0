"""`make bench`: the collection's performance figures, measured against the local control plane
(harness/cluster.py: etcd, kube-apiserver and kube-controller-manager built from their Go modules).

``tools/bench.py`` runs the four benchmarks of issue 8 and writes ``docs/benchmarks.md`` and
``docs/benchmark-aggregation.png``. Each module here is one benchmark; ``world`` builds the objects
and loads them through ``harness/cluster.TestCluster``.
"""
