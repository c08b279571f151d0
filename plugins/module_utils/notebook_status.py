# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Feature 4: the notebook validation state of each Argo CD Application, written on the Application.

This file does the I/O: it reads the NVJs page by page into a ``status_tally.Tally`` per parent
Application (the scanner), and writes each Application's annotations when ``status_tally.decide`` says
so, with ``KubeApi.conditional_write``. What is counted and when it is written are in ``status_tally``.

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

from ansible_collections.mlops.gitops.plugins.module_utils import argo_app, nvj, status_tally
from ansible_collections.mlops.gitops.plugins.module_utils.kube import KubeError, Written

DEFAULTS = {
    "argocd_namespace": argo_app.DEFAULT_ARGOCD_NAMESPACE,
    "min_interval": status_tally.MIN_INTERVAL,
    "max_failed_jobs": status_tally.MAX_FAILED_JOBS,
    "page_size": 500,
    "namespaces": [],
    "all_namespaces": False,  # aggregate: the namespaces are every namespace with jobs ("*")
}

MISSING = "missing"  # the action of an Application that does not exist


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
            self.apps[key] = argo_app.read_app(self.api, {"namespace": key[0], "name": key[1]})
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
        if nvj.being_deleted(item):
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
        if not argo_app.confirms(app, item):
            # A job's labels are its author's: it must not count itself into another team's Application.
            self.unconfirmed += 1
            return
        tallies.setdefault(key, status_tally.Tally(self.opts["max_failed_jobs"])).add(item)


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
        before = status_tally.managed(nvj.annotations(fresh))
        if state["seen"] is not None and before != state["seen"]:
            state["tally"] = rescan(key, fresh)  # another writer of ours counted meanwhile
        state["seen"] = before
        new = status_tally.build_annotations(state["tally"], now)
        action, reason, retry_after = status_tally.decide(before, new, now, opts["min_interval"])
        entry.update(action=action, reason=reason, summary=new[nvj.ANN_NOTEBOOK_SUMMARY])
        entry.update((field, getattr(state["tally"], field)) for field, _key in status_tally.COUNT_KEYS)
        state.update(action=action, reason=reason, retry_after=retry_after, before=before, new=new)
        return {"metadata": {"annotations": new}} if action == status_tally.UPDATED else None

    try:
        written = api.conditional_write(argo_app.APP_API_VERSION, argo_app.APP_KIND, name, namespace, choose,
                                        what=what, current=app)
    except KubeError as exc:
        if not exc.not_found:
            raise
        written = Written(None)  # deleted between the read and the write
        choose(None)
    if written.deferred:
        entry.update(action=status_tally.DEFERRED, reason=written.deferred["reason"])
        result["deferred"].append(written.deferred)
        return
    if entry.get("action") == MISSING:
        result["missing_applications"].append(namespace + "/" + name)
        return
    if state["action"] == status_tally.DEFERRED:
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
            scanned |= status_tally.recorded_namespaces(apps[key])
        present = set(key for key in wanted if apps[key] is not None)
        tallies = scanner.scan(scanned, present) if present else {}
    else:
        tallies = scanner.scan(scanned)
        for key in sorted(tallies):
            apps[key] = scanner.app(key)
        elsewhere = dict((key, status_tally.recorded_namespaces(app) - scanned) for key, app in apps.items())
        extra = set().union(*elsewhere.values()) if elsewhere else set()
        if extra:  # jobs of these Applications that live outside the namespaces asked for
            more = scanner.scan(extra, set(key for key, spaces in elsewhere.items() if spaces))
            for key, tally in more.items():
                tallies[key].merge(tally)
    if wanted is None:  # the namespace reconcile: Applications whose jobs are all gone, too
        stale, result["stale_check"] = _stale_apps(api, opts, scanned, set(tallies))
        if stale:
            elsewhere = set().union(*(status_tally.recorded_namespaces(app) for app in stale.values())) - scanned
            more = scanner.scan(elsewhere, set(stale)) if elsewhere else {}
            for key, app in stale.items():
                scanner.apps[key] = apps[key] = app
                if key in more:
                    tallies[key] = more[key]
    result["jobs_without_application"] = scanner.without_application
    result["jobs_unconfirmed"] = scanner.unconfirmed

    def rescan(key, fresh):
        scanner.apps[key] = fresh
        recount = scanner.scan(scanned | status_tally.recorded_namespaces(fresh), {key})
        return recount.get(key) or status_tally.Tally(opts["max_failed_jobs"])

    for key in sorted(apps):
        tally = tallies.get(key) or status_tally.Tally(opts["max_failed_jobs"])
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
                recorded = status_tally.recorded_namespaces(app)
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
    (recorded in the status JSON) and ``options["namespaces"]`` — unless ``status_tally.decide_before_listing``
    defers the write without counting (the same in check mode, so a preview predicts the run).
    """
    opts, error = _options(options)
    if error:
        return dict(_new_result(), failed=True, msg=error)
    parent, app, refusal = argo_app.confirmed_parent(api, job, opts["argocd_namespace"])
    if parent is None:
        return dict(_new_result(), parent=None)
    key = (parent["namespace"], parent["name"])
    job_namespace = nvj.metadata(job).get("namespace")
    if refusal:
        reason = "{0}; its status is left alone. {1}".format(refusal, argo_app.UNCONFIRMED_FIX)
        return dict(_new_result(), parent=parent, refused=[{"what": argo_app.app_ref(*key), "reason": reason}])
    now = now or nvj.now()
    interval = opts["min_interval"]
    early = None
    if app is not None:
        early = status_tally.decide_before_listing(status_tally.managed(nvj.annotations(app)), job, now, interval)
    if early is not None:
        _action, reason, retry_after = early
        entry = {"namespace": key[0], "name": key[1], "action": status_tally.DEFERRED, "reason": reason}
        deferred = [{"what": _what(key), "reason": reason, "retry_after": retry_after}]
        return dict(_new_result(), parent=parent, applications=[entry], deferred=deferred)
    namespaces = set([job_namespace]) | opts["namespaces"]
    result = _run(api.checking(check_mode), opts, now, namespaces, wanted={key}, prefer=job, known_apps={key: app})
    result["parent"] = parent
    return result
