"""Benchmark 8 and the process-fault suite (tests/operator/test_process_faults.py): the real ansible-operator
(harness/real_operator.py) and the real control plane (harness/cluster.py) losing a process mid-work.

Each job restarts a Deployment of its own (``restart``: the pod template's ``kubectl.kubernetes.io/restartedAt``),
so the actions are counted on the targets themselves: a Deployment's ``metadata.generation`` goes up once per
template change, and an idempotent replay of the same restart changes nothing. Events are counted by listing
them, runs from the operators' logs, and the trigger records are read back after the drain.

- ``kill_points``: ansible-operator SIGKILLed (with everything under it, ``AnsibleOperator.kill``) at each point
  of a completion's run, then started again. The recording proxy (harness/kube_proxy.py) holds the request of that
  point: the claim PATCH (killed before it reaches the server, or after), the action's PATCH, the trigger Event's
  POST, the record PATCH; the operator is killed while its request is held, then the request is dropped or sent
  on. One job and Deployment per point, in one namespace and Application, one operator watching it, killed once
  per point: every restart reconciles every job again, as a restarted pod does.
- ``fault_burst``: a burst of completions (the shape of benchmark 6, ``operator_burst``) with kube-apiserver or
  etcd restarted (SIGKILL, then started again on the same port with the same data; ``LocalCluster.restart``), or
  the leader of two replicas killed, the i-th of n faults once i/(n+1) of the jobs are drained; or no fault.
"""

import json
import time

from ansible_collections.mlops.gitops.plugins.module_utils import nvj, trigger_record
from harness.operator_burst import _done, _idle, _names, _now
from harness.real_operator import AnsibleOperator, ControllerIdentity

from harness import world

JOBS = 100
FAULTS = (None, "kube-apiserver", "etcd", "leader")
STANDBY = "attempting to acquire leader lease"
MARKERS = {nvj.ANN_WAVE_COMPLETE: "3"}
# Where a completion's run is killed: the request the proxy holds (criteria for ``RecordingProxy.hold`` from the
# job's and its target's names) and whether that request reaches the server. In the order a run sends them:
# claim, action, the action's Event, record (the job's wave marker and ValidationSucceeded Event come before).
POINTS = {
    "before the claim": (lambda job, target: dict(verb="patch", resource="notebookvalidationjobs", name=job,
                                                  body=r"result\W+pending"), False),
    "after the claim": (lambda job, target: dict(verb="patch", resource="notebookvalidationjobs", name=job,
                                                 body=r"result\W+pending"), True),
    "after the action": (lambda job, target: dict(verb="patch", resource="deployments", name=target), True),
    "after the Event": (lambda job, target: dict(verb="create", resource="events",
                                                 body='(?s)TriggerSucceeded.*"{0}"|"{0}".*TriggerSucceeded'.format(job)),
                        True),
    "after the record": (lambda job, target: dict(verb="patch", resource="notebookvalidationjobs", name=job,
                                                  body=r"result\W+succeeded"), True),
}


def restart_trigger(target):
    return "- {{apiVersion: apps/v1, kind: Deployment, name: {0}, action: restart}}\n".format(target)


def target_of(name):
    return name + "-server"


def load_world(cluster, namespace, names):
    """The Application, one Deployment (no replicas) per job and the jobs, running, each restarting its own."""
    cluster.create_namespace(namespace)
    cluster.load([world.application(namespace)]
                 + [world.deployment(namespace, target_of(name), replicas=0, selector=target_of(name))
                    for name in names])
    cluster.load([world.job(namespace, name=name, wave=3, trigger=restart_trigger(target_of(name)),
                            labels={nvj.LABEL_INSTANCE: world.APP_NAME},
                            status=world.status(name, "ValidationRunning", started=world.stamp(_now(-60))))
                  for name in names])


def complete(api, namespace, name):
    world.complete(api, namespace, name, {"phase": nvj.SUCCEEDED, "completionTime": world.stamp(_now()),
                                          "message": "phase Succeeded"})


def observe(api, namespace, names):
    """What the jobs' completions left, read back: per job its record, markers, Events by reason (with their
    ``count``), and its target's restarts (``generation - 1``); the Application's aggregate."""
    jobs = dict((nvj.metadata(o)["name"], o) for o in api.list(nvj.API_VERSION, nvj.KIND, namespace=namespace))
    deployments = dict((nvj.metadata(o)["name"], o) for o in api.list("apps/v1", "Deployment", namespace=namespace))
    events = {}
    for event in api.list("v1", "Event", namespace=namespace):
        involved = (event.get("involvedObject") or {}).get("name")
        events.setdefault(involved, []).append((event.get("reason"), event.get("count") or 1))
    out = {}
    for name in names:
        job = jobs.get(name) or {}
        record = world.trigger_record(job) or {}
        target = deployments.get(target_of(name)) or {}
        out[name] = {
            "record": record.get("targets") or [],
            "markers": dict((k, v) for k, v in world.markers(job).items() if k in MARKERS),
            "events": sorted(events.get(name, [])),
            "actions": nvj.metadata(target).get("generation", 1) - 1,
        }
    app = api.get(*world.APP, world.APP_NAME, namespace) or {}
    aggregate = json.loads((nvj.annotations(app) or {}).get(nvj.ANN_NOTEBOOK_STATUS) or "{}")
    return out, aggregate


def pending(seen):
    """The claims still pending: (job, target id)."""
    return [(name, item["id"]) for name, one in seen.items() for item in one["record"]
            if item.get("result") == trigger_record.PENDING]


def tally(seen):
    """Counts over ``observe``'s jobs: actions, Events of each reason, and the jobs where one is not exactly 1."""
    actions = sum(one["actions"] for one in seen.values())
    reasons = ("ValidationSucceeded", "TriggerSucceeded")
    events = dict((reason, sum(count for one in seen.values() for r, count in one["events"] if r == reason))
                  for reason in reasons)
    doubled = sorted(name for name, one in seen.items()
                     if one["actions"] != 1 or any(sum(c for r, c in one["events"] if r == reason) != 1
                                                   for reason in reasons))
    other = sorted(set(r for one in seen.values() for r, _c in one["events"]) - set(reasons))
    return {"actions": actions, "events": events, "not_once": doubled, "other_events": other}


class Controller:
    """The controller's replicas under one identity (ServiceAccount, RBAC, leader-election Lease): every
    ansible-operator started, alive or killed, so that runs are counted over all of them."""

    def __init__(self, cluster, workdir, namespaces, env, args=()):
        self.cluster, self.workdir, self.namespaces = cluster, workdir, list(namespaces)
        self.env, self.args = dict(env), list(args)
        self.identity = ControllerIdentity(cluster, workdir / "identity").create()
        self.started = []
        self.killed = []  # killed here
        self.exited = []  # exited on their own (ansible-operator exits when it loses the Lease)

    def start(self, netns=False, standby=False):
        """Another replica; ``netns``: in network and mount namespaces of its own (one of two alive must be);
        ``standby``: once it waits for the Lease. The leader of two runs in its own namespaces and the standby
        does not, so that the survivor's metrics (``AnsibleOperator.busy``) can be read from here."""
        operator = AnsibleOperator(self.cluster, self.workdir / "operator-{0}".format(len(self.started)),
                                   self.namespaces, env=self.env, args=self.args, identity=self.identity,
                                   netns=netns)
        self.started.append(operator)
        operator.start(until=STANDBY if standby else "Starting workers")
        return operator

    def alive(self):
        return [o for o in self.started if o not in self.killed and o not in self.exited]

    def leader(self):
        return next(o for o in self.alive() if "Starting workers" in o.log_text())

    def revive(self):
        """Play the kubelet: a replica that exited on its own (it lost the Lease while the API server was away:
        controller-runtime ends the process) is started again, as the standby when another one leads."""
        for operator in self.alive():
            if operator.proc.poll() is None:
                continue
            operator.stop()
            self.exited.append(operator)
            leading = any("Starting workers" in o.log_text() for o in self.alive())
            self.start(netns=operator.netns, standby=leading)

    def kill(self, operator):
        operator.kill()
        operator.stop()
        self.killed.append(operator)

    def runs(self, namespace, since=0.0):
        return sum(1 for o in self.started for r in o.run_table(None, namespace) if r["start"] >= since)

    def first_runs(self, namespace, names, timeout=60 * 60):
        """Wait until every job has had a run that ended."""
        operator = self.leader()
        operator.wait_for(lambda: set(names) <= set(
            r["name"] for r in operator.records() if r.get("namespace") == namespace
            and r.get("msg") == "Ansible-runner exited successfully"), timeout=timeout, interval=1,
            what="a first run of every job in " + namespace)

    def errors(self):
        return sum(len(o.errors()) for o in self.started)

    def stop(self):
        for operator in reversed(self.started):
            operator.stop()
        self.identity.delete()


def _drained(api, namespace, names):
    done, aggregate = _done(api, namespace, names)
    return len(done), aggregate and len(done) == len(names)


def _delete_namespaces(cluster, namespaces):
    from kubernetes import client

    core = client.CoreV1Api(cluster.api_client())
    for namespace in namespaces:
        core.delete_namespace(namespace)


def kill_points(cluster, workdir, points=tuple(POINTS), env=None, args=(), quiet=5, timeout=15 * 60,
                cleanup=False):
    """ansible-operator killed at each of ``points`` and started again: one namespace, one Application, one job
    (and target) per point, completed one after the other, each killed at its point. ``cluster``: a TestCluster
    with the recording proxy, which the operators reach the API server through. Once every job is drained and
    the operator idle, per point: what ``observe`` reads, the runs and the drain time since its completion, the
    ``claimed`` stamp (the claim the killed run left on the job, if it reached the server) and the ``settled``
    stamps of the final outcomes; and the Application's aggregate."""
    from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi

    api = KubeApi.from_auth(kubeconfig=cluster.kubeconfig)
    namespace = "faults-kill-{0}".format(int(time.time()) % 100000)
    jobs = dict((point, "point-{0}".format(index)) for index, point in enumerate(points))
    names = list(jobs.values())
    # the points that leave a claim pending first: their leases run out while the others are played
    order = sorted(points, key=lambda point: not (POINTS[point][1] and point != "after the record"))
    load_world(cluster, namespace, names)
    settings = {"NOTEBOOK_CONTROLLER_ARGOCD_NAMESPACE": namespace, "NOTEBOOK_CONTROLLER_MIN_INTERVAL": "0"}
    settings.update(env or {})
    controller = Controller(cluster, workdir / namespace, [namespace], settings, args)
    try:
        operator = controller.start()
        controller.first_runs(namespace, names)
        rows = {}
        for point in order:
            job = jobs[point]
            criteria, forward = POINTS[point]
            hold = cluster.hold(namespace=namespace, **criteria(job, target_of(job)))
            began = time.time()
            complete(api, namespace, job)
            try:
                hold.wait(timeout=timeout)
                controller.kill(operator)
            finally:
                hold.release(forward)
            claim = [i for i in (world.trigger_record(world.get_job(api, namespace, job)) or {}).get("targets", [])
                     if i.get("result") == trigger_record.PENDING]
            rows[point] = {"job": job, "began": began, "forwarded": forward,
                           "claimed": claim[0]["time"] if claim else None}
            operator = controller.start()
        deadline = time.monotonic() + timeout
        while True:
            done, aggregate = _done(api, namespace, names)
            for row in rows.values():
                if row["job"] in done:
                    row.setdefault("drained_s", time.time() - row["began"])
            if len(done) == len(names) and aggregate:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("not drained in {0} s: {1}".format(timeout, sorted(set(names) - done)))
            controller.revive()
            time.sleep(1)
        _idle(controller.leader(), namespace, quiet, timeout)
        seen, aggregate = observe(api, namespace, names)
        for row in rows.values():
            one = seen[row["job"]]
            row.update(one, runs=sum(1 for o in controller.started for r in o.run_table(row["job"], namespace)
                                     if r["start"] >= row["began"]),
                       settled=[item.get("time") for item in one["record"]])
        return {"points": dict((point, rows[point]) for point in points), "aggregate": aggregate,
                "tally": tally(seen), "pending": pending(seen), "restarts": len(controller.killed),
                "exits": len(controller.exited), "errors": controller.errors()}
    finally:
        controller.stop()
        if cleanup:
            _delete_namespaces(cluster, [namespace])


def fault_burst(cluster, workdir, jobs, faults=(), env=None, args=(), quiet=10, timeout=60 * 60, cleanup=False):
    """A burst of ``jobs`` completions (benchmark 6's shape) with ``faults`` (of ``FAULTS``; none for the
    baseline), the i-th of n once i/(n+1) of the jobs are drained. ``cluster``: a TestCluster; its LocalCluster
    (``cluster.local``) restarts kube-apiserver and etcd; the operators and this reach the API server directly,
    without the proxy. The figures of the drain."""
    from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeApi

    target = cluster.direct()
    api = KubeApi.from_auth(kubeconfig=target.kubeconfig)
    namespace = "faults-burst-{0}-{1}".format("-".join(faults) or "none", int(time.time()) % 100000)
    names = _names(jobs)
    load_world(target, namespace, names)
    settings = {"NOTEBOOK_CONTROLLER_ARGOCD_NAMESPACE": namespace, "NOTEBOOK_CONTROLLER_MIN_INTERVAL": "0"}
    settings.update(env or {})
    # a short folder: a second replica's relay socket lives in it (AF_UNIX paths end at 107 bytes)
    controller = Controller(target, workdir / namespace.rsplit("-", 1)[1], [namespace], settings, args)
    try:
        controller.start(netns="leader" in faults)
        if "leader" in faults:
            controller.start(standby=True)
        controller.first_runs(namespace, names)
        completed = time.time()
        for name in names:
            complete(api, namespace, name)
        fired = []
        while True:
            count, drained = _drained_quietly(api, namespace, names)
            if len(fired) < len(faults) and (count >= jobs * (len(fired) + 1) / (len(faults) + 1) or drained):
                fired.append(_fire(cluster, controller, faults[len(fired)], count, completed))
                continue
            if drained:
                break
            if time.time() - completed > timeout:
                raise TimeoutError("{0}: {1} of {2} jobs drained in {3} s".format(namespace, count, jobs, timeout))
            controller.revive()
            time.sleep(1)
        drained_s = time.time() - completed
        idle_s = _idle(controller.leader(), namespace, quiet, timeout) - completed
        seen, aggregate = observe(api, namespace, names)
        return {"faults": list(faults), "jobs": jobs, "fired": fired, "drained_s": drained_s, "idle_s": idle_s,
                "runs": controller.runs(namespace, completed), "tally": tally(seen), "pending": pending(seen),
                "markers_wrong": sorted(n for n, one in seen.items() if one["markers"] != MARKERS),
                "aggregate": aggregate, "exits": len(controller.exited), "errors": controller.errors()}
    finally:
        controller.stop()
        if cleanup:
            _delete_namespaces(target, [namespace])


def _fire(cluster, controller, fault, count, completed):
    """Kill the leader (and wait for the standby to take over) or restart kube-apiserver or etcd (and wait for
    the API server to be ready); when (jobs drained, seconds after the completions) and how long it took."""
    began = time.time()
    if fault == "leader":
        controller.kill(controller.leader())
        standby = controller.alive()[0]
        standby.wait_for(lambda: "Starting workers" in standby.log_text(), timeout=300, what="the standby's takeover")
    else:
        cluster.local.restart(fault)
    return {"fault": fault, "at": count, "after_s": began - completed, "seconds": time.time() - began}


def _drained_quietly(api, namespace, names):
    """``_drained``, or nothing drained while the API server does not answer (it is being restarted)."""
    from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeError

    try:
        return _drained(api, namespace, names)
    except KubeError:
        return 0, False


def fault_bursts(cluster, workdir, jobs=JOBS, faults=FAULTS):
    """Benchmark 8's bursts: one per fault (None: the baseline), one after the other on ``cluster``."""
    return {"jobs": jobs, "runs": [fault_burst(cluster, workdir, jobs, (fault,) if fault else ()) for fault in faults]}
