"""The test harness: the real systems this collection runs against, started on this machine, and the world the
tests build in them. Imported by the tests (tests/), the demo and the benchmarks (tools/); nothing here is shipped.

- ``cluster``: the local control plane (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok) built
  from its Go modules; ``python harness/cluster.py up|down`` is ``make cluster-up``/``cluster-down``.
- ``kube_proxy``: the recording proxy in front of it (request log, injected faults, held requests).
- ``session``: how a test session reaches Kubernetes (the local control plane behind the proxy, or $KUBECONFIG).
- ``argocd_local`` and ``argocd``: the real Argo CD (application controller, repo server, notifications controller,
  Redis) and what tests do with it; ``kserve_local``: KServe's controller.
- ``real_operator``: the real ansible-operator running the controller role (``make run`` too).
- ``controller_config``: the controller's manifests rendered from the deploy role (``make config`` writes config/).
- ``world``, ``rbac``, ``crds``: the objects tests create, the controller's rights, the CRDs installed.
"""
