# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Feature 4: the notebook validation state of each Argo CD Application, written on the Application.

The NVJs are read page by page into a ``Tally`` per parent Application, which keeps counters and a
bounded list of failed names, never the objects (an NVJ status carries notebook cell outputs).
The annotations are written only when something other than ``lastUpdate`` changed, and at most
once per ``min_interval`` per Application; a write that comes too early is reported as deferred
with ``retry_after``, so the controller requeues and the final state always lands. A new failure
bypasses the interval. The interval is judged from the ``lastUpdate`` already on the Application:
every controller run is a fresh process, so the cluster is the only memory there is.

``reconcile`` decides the debounce before listing when the list cannot change the outcome (inside
the interval, and the job is not a failure the Application lacks): an event inside the interval
then costs one read of the Application, not a list of the namespaces.

Applications whose jobs were all deleted: there is no finalizer (by design) and nothing reconciles a
job that is gone, so ``aggregate`` (the namespace reconcile, run on a schedule) also passes over the
Applications that carry ``mlops.dev/notebook-status`` and recounts those whose jobs were last found in
the namespaces it covers but none of which it counted now: they get the count of what is left (often
``0/0``). The stale figure therefore lasts at most until the next namespace reconcile of a namespace
where those jobs were (plus ``min_interval``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import math

from ansible_collections.mlops.gitops.plugins.module_utils import argo_app, nvj
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeError, Written

DEFAULTS = {
    "argocd_namespace": argo_app.DEFAULT_ARGOCD_NAMESPACE,
    "min_interval": 60,
    "max_failed_jobs": 20,
    "page_size": 500,
    "namespaces": [],
    "all_namespaces": False,  # aggregate: the namespaces are every namespace with jobs ("*")
}

COUNT_KEYS = (
    ("total", nvj.ANN_NOTEBOOK_TOTAL),
    ("succeeded", nvj.ANN_NOTEBOOK_SUCCEEDED),
    ("failed", nvj.ANN_NOTEBOOK_FAILED),
    ("running", nvj.ANN_NOTEBOOK_RUNNING),
)
MANAGED_KEYS = (
    nvj.ANN_NOTEBOOK_STATUS,
    nvj.ANN_NOTEBOOK_SUMMARY,
    nvj.ANN_NOTEBOOK_TOTAL,
    nvj.ANN_NOTEBOOK_SUCCEEDED,
    nvj.ANN_NOTEBOOK_FAILED,
    nvj.ANN_NOTEBOOK_RUNNING,
    nvj.ANN_NOTEBOOK_LAST_FAILURE,
    nvj.ANN_NOTEBOOK_LAST_SUCCESS,
)

UPDATED, UNCHANGED, DEFERRED, MISSING = "updated", "unchanged", "deferred", "missing"


# -- aggregation ------------------------------------------------------------------------------
def _sortable(completed):
    """A completion time as a string that sorts chronologically ("" when absent or unreadable)."""
    moment = nvj.parse_time(completed)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if moment else ""


def completion_ref(job):
    """``(sort time, "ns/name", "ns/name@completionTime")``, the job's completion reference: references
    order by time, then by job; the third part is what ``notebook-last-failure`` / ``notebook-last-success``
    hold."""
    meta = nvj.metadata(job)
    job_key = "{}/{}".format(meta.get("namespace") or "", meta.get("name") or "")
    completed = nvj.completion_time(job) or ""
    return (_sortable(completed), job_key, job_key + "@" + completed)


def parse_completion_ref(value):
    """A ``notebook-last-failure`` / ``-success`` value as the completion reference ``Tally`` made it, or None
    (empty or malformed). Names cannot contain ``@``, so the first one ends ``ns/name``."""
    if not isinstance(value, str) or "@" not in value:
        return None
    job_key, _at, completed = value.partition("@")
    return (_sortable(completed), job_key, value)


class Tally:
    """Counters for the jobs of one Application, fed one job at a time.

    Memory is O(max_failed_jobs + namespaces) however many jobs go through ``add``.
    ``running`` counts every phase that is not terminal, including jobs without a status yet, and a
    terminal phase without a valid completion time (the first step of the Go operator's two-step
    failure: counting it failed then would announce the one failure twice, ``notebook-last-failure``
    changing from ``ns/name@`` to ``ns/name@<time>``).
    """

    def __init__(self, max_failed_jobs=DEFAULTS["max_failed_jobs"]):
        self.max_failed_jobs = max_failed_jobs
        self.total = self.succeeded = self.failed = self.running = 0
        self.namespaces = set()
        self.last_failure = None  # a completion_ref
        self.last_success = None
        self._failed = []  # (sort time, namespace, name), trimmed to max_failed_jobs when it doubles

    def add(self, job):
        meta = nvj.metadata(job)
        namespace, name = meta.get("namespace") or "", meta.get("name") or ""
        self.total += 1
        self.namespaces.add(namespace)
        phase = nvj.phase(job)
        if phase not in nvj.TERMINAL_PHASES or nvj.completion_time(job) is None:
            self.running += 1
            return
        ref = completion_ref(job)
        if phase == nvj.SUCCEEDED:
            self.succeeded += 1
            self.last_success = max(self.last_success or ref, ref)
            return
        self.failed += 1
        self.last_failure = max(self.last_failure or ref, ref)
        self._failed.append((ref[0], namespace, name))
        if len(self._failed) > 2 * max(self.max_failed_jobs, 1):
            self._trim()

    def merge(self, other):
        """Add the jobs ``other`` counted (another pass over other namespaces)."""
        self.total += other.total
        self.succeeded += other.succeeded
        self.failed += other.failed
        self.running += other.running
        self.namespaces |= other.namespaces
        for mine, theirs in (("last_failure", other.last_failure), ("last_success", other.last_success)):
            if theirs is not None:
                setattr(self, mine, max(getattr(self, mine) or theirs, theirs))
        self._failed.extend(other._failed)
        self._trim()

    def _trim(self):
        """Keep the newest failures; equal times in name order, so the result never depends on list order."""
        self._failed.sort(key=lambda entry: (entry[1], entry[2]))
        self._failed.sort(key=lambda entry: entry[0], reverse=True)
        del self._failed[self.max_failed_jobs:]

    def failed_jobs(self):
        """The newest failures, at most ``max_failed_jobs``: ``name``, or ``ns/name`` when the
        Application's jobs live in several namespaces."""
        self._trim()
        several = len(self.namespaces) > 1
        return [ns + "/" + name if several else name for _time, ns, name in self._failed]


# -- content ----------------------------------------------------------------------------------
def summary(succeeded, total):
    """``"30/32 succeeded (93.8% success rate)"``: one decimal, rounded half up, exactly."""
    if total <= 0:
        return "0/0 succeeded (no notebook validation jobs)"
    tenths = (2 * succeeded * 1000 + total) // (2 * total)
    return "{}/{} succeeded ({}.{}% success rate)".format(succeeded, total, tenths // 10, tenths % 10)


def build_status(tally, now):
    failed_jobs = tally.failed_jobs()
    return {
        "total": tally.total,
        "succeeded": tally.succeeded,
        "failed": tally.failed,
        "running": tally.running,
        "lastUpdate": nvj.rfc3339(now),
        "failedJobs": failed_jobs,
        "failedJobsOmitted": tally.failed - len(failed_jobs),
        "namespaces": sorted(tally.namespaces),
    }


def build_annotations(tally, now):
    """Every annotation this feature manages on the Application, as strings."""
    status = build_status(tally, now)
    out = {
        nvj.ANN_NOTEBOOK_STATUS: json.dumps(status, separators=(",", ":")),
        nvj.ANN_NOTEBOOK_SUMMARY: summary(tally.succeeded, tally.total),
        nvj.ANN_NOTEBOOK_LAST_FAILURE: tally.last_failure[2] if tally.last_failure else "",
        nvj.ANN_NOTEBOOK_LAST_SUCCESS: tally.last_success[2] if tally.last_success else "",
    }
    for field, key in COUNT_KEYS:
        out[key] = str(status[field])
    return out


def parse_status(value):
    """The existing ``notebook-status`` JSON as a dict, or None when absent or not a JSON object."""
    try:
        parsed = json.loads(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def managed(annotations):
    """Only this feature's annotations (None for the absent ones)."""
    return dict((key, (annotations or {}).get(key)) for key in MANAGED_KEYS)


def same_content(existing, new):
    """True when the two annotation sets differ at most in ``lastUpdate``."""
    for key in MANAGED_KEYS:
        if key == nvj.ANN_NOTEBOOK_STATUS:
            old, fresh = parse_status(existing.get(key)), parse_status(new.get(key))
            if old is None or fresh is None:
                return False
            old.pop("lastUpdate", None)
            fresh.pop("lastUpdate", None)
            if old != fresh:
                return False
        elif existing.get(key) != new.get(key):
            return False
    return True


def _count(annotations, key, field):
    for value in (annotations.get(key), (parse_status(annotations.get(nvj.ANN_NOTEBOOK_STATUS)) or {}).get(field)):
        try:
            return int(value)
        except (TypeError, ValueError):
            continue
    return 0


def is_new_failure(existing, new):
    """A failure that was not on the Application before: more failures, or a newer last failure."""
    if _count(new, nvj.ANN_NOTEBOOK_FAILED, "failed") > _count(existing, nvj.ANN_NOTEBOOK_FAILED, "failed"):
        return True
    newest = new.get(nvj.ANN_NOTEBOOK_LAST_FAILURE)
    return bool(newest) and newest != existing.get(nvj.ANN_NOTEBOOK_LAST_FAILURE)


def _last_update(existing):
    return nvj.parse_time((parse_status(existing.get(nvj.ANN_NOTEBOOK_STATUS)) or {}).get("lastUpdate"))


def _interval_left(last, now, min_interval):
    """``(elapsed, retry_after)`` while the interval since ``last`` holds writes back, else None.
    A ``lastUpdate`` in the future (clock skew) must not block writes."""
    elapsed = (now - last).total_seconds()
    if elapsed < 0 or elapsed >= min_interval:
        return None
    return elapsed, max(1, int(math.ceil(min_interval - elapsed)))


def _too_early(elapsed, min_interval):
    return "last written {}s ago; at most one write per {}s (min_interval)".format(int(elapsed), min_interval)


def decide(existing, new, now, min_interval):
    """``(action, reason, retry_after)`` with action ``updated`` (write now), ``unchanged`` or
    ``deferred`` (write in ``retry_after`` seconds). ``existing``/``new`` are managed annotations."""
    if same_content(existing, new):
        return UNCHANGED, "the annotations already hold this content", None
    if is_new_failure(existing, new):
        return UPDATED, "a new failure is written at once", None
    last = _last_update(existing)
    if last is None:
        return UPDATED, "no earlier notebook status on the Application", None
    wait = _interval_left(last, now, min_interval)
    if wait is None:
        return UPDATED, "content changed", None
    return DEFERRED, _too_early(wait[0], min_interval), wait[1]


def failure_reflected(existing, job):
    """True when the Application's ``notebook-last-failure`` is the failed ``job``'s completion reference
    or a newer one, in the order ``Tally`` keeps its references: this failure (or a later one) was written
    already. The same job at the same instant counts as written however the time is spelled; a job without
    a readable completion time only by its exact reference (it would sort before every other)."""
    written, mine = parse_completion_ref(existing.get(nvj.ANN_NOTEBOOK_LAST_FAILURE)), completion_ref(job)
    if written is None:
        return False
    return written[2] == mine[2] or (bool(mine[0]) and written[:2] >= mine[:2])


def decide_before_listing(existing, job, now, min_interval):
    """``(DEFERRED, reason, retry_after)`` when no list could make ``job``'s reconcile write now, else None.

    Inside the interval the only write allowed is a new failure. A job that is not Failed, or whose
    failure the Application already shows, cannot bring one: whatever the list holds, the outcome is
    ``unchanged`` or ``deferred``, and ``deferred`` is safe for both (the requeued run after the interval
    lists and writes, or finds nothing to write). A failure newly brought by another job is written by
    that job's own reconcile. ``existing`` are the Application's managed annotations."""
    last = _last_update(existing)
    if min_interval <= 0 or last is None:
        return None
    wait = _interval_left(last, now, min_interval)
    if wait is None:
        return None
    if nvj.phase(job) == nvj.FAILED and not failure_reflected(existing, job):
        return None
    reason = _too_early(wait[0], min_interval) + "; the jobs are counted when the interval is over"
    return DEFERRED, reason, wait[1]


def recorded_namespaces(app):
    """Where the Application's jobs were found last time (from the status JSON)."""
    status = parse_status(nvj.annotations(app or {}).get(nvj.ANN_NOTEBOOK_STATUS)) or {}
    values = status.get("namespaces")
    return set(v for v in values if isinstance(v, str) and v) if isinstance(values, list) else set()


# -- options ----------------------------------------------------------------------------------
def _options(options):
    opts = dict(DEFAULTS)
    opts.update(dict((k, v) for k, v in (options or {}).items() if v is not None))
    for key, low in (("min_interval", 0), ("max_failed_jobs", 0), ("page_size", 1)):
        if not isinstance(opts[key], int) or isinstance(opts[key], bool) or opts[key] < low:
            message = "option {0} must be an integer >= {1}, got {2!r}; fix the task's {0}"
            return None, message.format(key, low, opts[key])
    if not opts["argocd_namespace"] or not isinstance(opts["argocd_namespace"], str):
        return None, "option argocd_namespace must name the Argo CD namespace (e.g. argocd, openshift-gitops)"
    opts["namespaces"] = set(opts["namespaces"] or [])
    return opts, None


def _new_result():
    return {
        "changed": False,
        "stale_check": None,
        "applications": [],
        "missing_applications": [],
        "deferred": [],
        "refused": [],
        "events": [],
        "jobs_without_application": 0,
        "jobs_unconfirmed": 0,
    }


# -- I/O --------------------------------------------------------------------------------------
def _same_object(a, b):
    ma, mb = nvj.metadata(a), nvj.metadata(b)
    if ma.get("uid") and mb.get("uid"):
        return ma["uid"] == mb["uid"]
    return (ma.get("namespace"), ma.get("name")) == (mb.get("namespace"), mb.get("name"))


def _fresher(listed, passed):
    """The passed job, unless the listed copy is demonstrably newer (higher numeric resourceVersion)."""
    try:
        if int(nvj.metadata(listed).get("resourceVersion")) > int(nvj.metadata(passed).get("resourceVersion")):
            return listed
    except (TypeError, ValueError):
        pass
    return passed


class _Scanner:
    """Streams NVJs of some namespaces into per-Application tallies."""

    def __init__(self, api, opts, prefer=None, apps=None):
        self.api = api
        self.opts = opts
        self.prefer = prefer  # the job being reconciled: counted in its current phase
        self.without_application = 0
        self.unconfirmed = 0  # jobs naming an Application that does not deploy into their namespace
        self.apps = dict(apps or {})  # (namespace, name) -> Application or None, each read once

    def app(self, key):
        if key not in self.apps:
            self.apps[key] = _get_app(self.api, key)
        return self.apps[key]

    def scan(self, namespaces, wanted=None):
        tallies = {}
        prefer_seen = False
        for namespace in sorted(namespaces):
            for item in self.api.list(nvj.API_VERSION, nvj.KIND, namespace=namespace, page_size=self.opts["page_size"]):
                if self.prefer is not None and not prefer_seen and _same_object(item, self.prefer):
                    item, prefer_seen = _fresher(item, self.prefer), True
                self._count(item, tallies, wanted)
        if self.prefer is not None and not prefer_seen and nvj.metadata(self.prefer).get("namespace") in namespaces:
            self._count(self.prefer, tallies, wanted)  # the list lagged behind the event that woke us
        return tallies

    def _count(self, item, tallies, wanted):
        if nvj.metadata(item).get("deletionTimestamp"):
            return
        item.setdefault("apiVersion", nvj.API_VERSION)  # list items of some servers omit them
        item.setdefault("kind", nvj.KIND)
        parent = argo_app.find_parent(item, self.opts["argocd_namespace"])
        if parent is None:
            self.without_application += 1
            return
        key = (parent["namespace"], parent["name"])
        if wanted is not None and key not in wanted:
            return
        app = self.app(key)
        if app is not None and not argo_app.manages_namespace(app, nvj.metadata(item).get("namespace")):
            # A job's labels are its author's: it must not count itself into another team's Application.
            self.unconfirmed += 1
            return
        tallies.setdefault(key, Tally(self.opts["max_failed_jobs"])).add(item)


def _get_app(api, key):
    return api.get(argo_app.APP_API_VERSION, argo_app.APP_KIND, key[1], key[0])


def _what(key):
    return "{} annotation {}".format(argo_app.app_ref(*key), nvj.ANN_NOTEBOOK_STATUS)


def _apply(api, key, app, tally, rescan, opts, now, result):
    """Decide and write one Application with ``KubeApi.conditional_write`` (a merge patch carrying the
    resourceVersion; a 409 re-reads, and recounts first when another writer of ours got there before)."""
    namespace, name = key
    entry = {"namespace": namespace, "name": name}
    result["applications"].append(entry)
    what = _what(key)
    state = {"tally": tally, "seen": None}

    def choose(fresh):
        entry.clear()
        entry.update(namespace=namespace, name=name)
        state["action"] = None
        if fresh is None:
            entry.update(action=MISSING, reason="the Application does not exist")
            return None
        before = managed(nvj.annotations(fresh))
        if state["seen"] is not None and before != state["seen"]:
            state["tally"] = rescan(key, fresh)  # another writer of ours counted meanwhile
        state["seen"] = before
        new = build_annotations(state["tally"], now)
        action, reason, retry_after = decide(before, new, now, opts["min_interval"])
        entry.update(action=action, reason=reason, summary=new[nvj.ANN_NOTEBOOK_SUMMARY])
        entry.update((field, getattr(state["tally"], field)) for field, _key in COUNT_KEYS)
        state.update(action=action, reason=reason, retry_after=retry_after, before=before, new=new)
        return {"metadata": {"annotations": new}} if action == UPDATED else None

    try:
        written = api.conditional_write(argo_app.APP_API_VERSION, argo_app.APP_KIND, name, namespace, choose,
                                        what=what, current=app)
    except KubeError as exc:
        if not exc.not_found:
            raise
        written = Written(None)  # deleted between the read and the write
        choose(None)
    if written.deferred:
        entry.update(action=DEFERRED, reason=written.deferred["reason"])
        result["deferred"].append(written.deferred)
        return
    if entry.get("action") == MISSING:
        result["missing_applications"].append(namespace + "/" + name)
        return
    if state["action"] == DEFERRED:
        result["deferred"].append({"what": what, "reason": state["reason"], "retry_after": state["retry_after"]})
    if not written.written:
        return
    result["changed"] = True
    diff = result.setdefault("diff", {"before": {}, "after": {}})
    diff["before"][namespace + "/" + name] = dict((k, v) for k, v in state["before"].items() if v is not None)
    diff["after"][namespace + "/" + name] = state["new"]


def _run(api, opts, now, namespaces, wanted=None, prefer=None, known_apps=None):
    result = _new_result()
    scanner = _Scanner(api, opts, prefer, known_apps)
    apps = {}
    scanned = set(namespaces)
    if wanted:  # one Application: read it first to learn where its jobs were found last time
        for key in wanted:
            apps[key] = scanner.app(key)
            scanned |= recorded_namespaces(apps[key])
        present = set(key for key in wanted if apps[key] is not None)
        tallies = scanner.scan(scanned, present) if present else {}
    else:
        tallies = scanner.scan(scanned)
        for key in sorted(tallies):
            apps[key] = scanner.app(key)
        elsewhere = dict((key, recorded_namespaces(app) - scanned) for key, app in apps.items())
        extra = set().union(*elsewhere.values()) if elsewhere else set()
        if extra:  # jobs of these Applications that live outside the namespaces asked for
            more = scanner.scan(extra, set(key for key, spaces in elsewhere.items() if spaces))
            for key, tally in more.items():
                tallies[key].merge(tally)
    if wanted is None:  # the namespace reconcile: Applications whose jobs are all gone, too
        stale, result["stale_check"] = _stale_apps(api, opts, scanned, set(tallies))
        if stale:
            elsewhere = set().union(*(recorded_namespaces(app) for app in stale.values())) - scanned
            more = scanner.scan(elsewhere, set(stale)) if elsewhere else {}
            for key, app in stale.items():
                scanner.apps[key] = apps[key] = app
                if key in more:
                    tallies[key] = more[key]
    result["jobs_without_application"] = scanner.without_application
    result["jobs_unconfirmed"] = scanner.unconfirmed

    def rescan(key, fresh):
        scanner.apps[key] = fresh
        return scanner.scan(scanned | recorded_namespaces(fresh), {key}).get(key) or Tally(opts["max_failed_jobs"])

    for key in sorted(apps):
        tally = tallies.get(key) or Tally(opts["max_failed_jobs"])
        _apply(api, key, apps[key], tally, rescan, opts, now, result)
    return result


def _stale_apps(api, opts, scanned, counted):
    """``({key: Application}, note)``: the Applications carrying the status annotation that this pass must
    recount although it counted none of their jobs, because their jobs were last found (the status JSON's
    ``namespaces``) in a namespace it covered, or, with ``all_namespaces``, anywhere. Read where
    Applications live: the Argo CD namespace and the covered namespaces (apps in any namespace), or
    everywhere. Without the right to list Applications the pass is skipped, and the note says so."""
    places = [None] if opts["all_namespaces"] else sorted(set([opts["argocd_namespace"]]) | set(scanned))
    found, skipped = {}, []
    for place in places:
        try:
            for app in api.list(argo_app.APP_API_VERSION, argo_app.APP_KIND, namespace=place,
                                page_size=opts["page_size"]):
                meta = nvj.metadata(app)
                key = (meta.get("namespace"), meta.get("name"))
                if key in counted or nvj.ANN_NOTEBOOK_STATUS not in nvj.annotations(app):
                    continue
                recorded = recorded_namespaces(app)
                if recorded and (opts["all_namespaces"] or recorded & set(scanned)):
                    found[key] = app
        except KubeError as exc:
            if not (exc.forbidden or exc.not_found):
                raise
            skipped.append("{0} ({1})".format(place or "all namespaces", "forbidden" if exc.forbidden else "no CRD"))
    if skipped:
        note = ("Applications whose jobs were all deleted could not be looked for in {0}: grant list on "
                "applications.argoproj.io there to have their status recounted".format(", ".join(skipped)))
    else:
        note = "{0} Application(s) without any counted job recounted".format(len(found))
    return found, note


def aggregate(api, namespaces, options=None, check_mode=False, now=None):
    """Write the status of every Application that has NVJs in ``namespaces`` (module, cron, AWX), and of
    every Application whose jobs were last found there but are all gone (see the module docstring)."""
    opts, error = _options(options)
    if error:
        return dict(_new_result(), failed=True, msg=error)
    return _run(api.checking(check_mode), opts, now or nvj.now(), set(namespaces) | opts["namespaces"])


def reconcile(api, job, options=None, check_mode=False, now=None):
    """Write the status of the parent Application of ``job``, counting ``job`` in its current phase.

    Lists the job's namespace, the namespaces where the Application's jobs were found last time
    (recorded in the status JSON) and ``options["namespaces"]`` — unless ``decide_before_listing``
    defers the write without counting (the same in check mode, so a preview predicts the run).
    """
    opts, error = _options(options)
    if error:
        return dict(_new_result(), failed=True, msg=error)
    parent = argo_app.find_parent(job, opts["argocd_namespace"])
    if parent is None:
        return dict(_new_result(), parent=None)
    key = (parent["namespace"], parent["name"])
    app = _get_app(api, key)
    job_namespace = nvj.metadata(job).get("namespace")
    if app is not None and not argo_app.manages_namespace(app, job_namespace):
        reason = (
            "{0} names Application {1} as its parent, but that Application does not deploy into namespace {2} "
            "(spec.destination.namespace, status.resources); its status is left alone. Fix the job's "
            "argocd.argoproj.io/tracking-id / app.kubernetes.io/instance, or the Application's destination".format(
                nvj.ref(job), argo_app.app_ref(*key), job_namespace
            )
        )
        return dict(_new_result(), parent=parent, refused=[{"what": argo_app.app_ref(*key), "reason": reason}])
    now = now or nvj.now()
    interval = opts["min_interval"]
    early = None if app is None else decide_before_listing(managed(nvj.annotations(app)), job, now, interval)
    if early is not None:
        _action, reason, retry_after = early
        entry = {"namespace": key[0], "name": key[1], "action": DEFERRED, "reason": reason}
        deferred = [{"what": _what(key), "reason": reason, "retry_after": retry_after}]
        return dict(_new_result(), parent=parent, applications=[entry], deferred=deferred)
    namespaces = set([job_namespace]) | opts["namespaces"]
    result = _run(api.checking(check_mode), opts, now, namespaces, wanted={key}, prefer=job, known_apps={key: app})
    result["parent"] = parent
    return result
