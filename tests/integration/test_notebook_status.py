"""Feature 4 against the cluster: aggregation per Application, writes only on change, debounce with a
trailing write, paging, missing Applications, and the module's wiring (check mode, diff, idempotence)."""

import datetime
import json

import pytest

from ansible_collections.mlops.gitops.plugins.module_utils import notebook_status, nvj, status_tally
from ansible_collections.mlops.gitops.plugins.module_utils.kube import CONFLICT_ATTEMPTS, CONFLICT_RETRY_AFTER

from harness import world
from harness.world import app_annotations as notes
from harness.world import set_phase

T0 = datetime.datetime(2026, 1, 24, 22, 30, 0, tzinfo=datetime.UTC)


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def stamp(minute):
    return "2026-01-24T10:{:02d}:00Z".format(minute)


def job_body(ns, name, tracking_app=None, instance=None, part_of=None, status=None):
    """A job whose parent is named in one (or more) of Argo CD's tracking styles."""
    labels, annotations = {}, {}
    if tracking_app:
        annotations[nvj.ANN_TRACKING_ID] = world.tracking_id(tracking_app, ns, name)
    if instance:
        labels[nvj.LABEL_INSTANCE] = instance
    if part_of:
        labels[nvj.LABEL_PART_OF] = part_of
    return world.job(ns, name, labels=labels, annotations=annotations, status=status)


def create_job(api, ns, name, phase=None, completed=None, **parent):
    job = world.create(api, job_body(ns, name, **parent))
    return set_phase(api, ns, name, phase, completed) if phase else job


def create_app(api, ns, name, *deploys_to):
    """An Application in ``ns`` deploying into ``deploys_to``: the first is its destination, the others
    appear in ``status.resources`` (manifests that set their own namespace), as Argo CD reports them."""
    resources = [{"group": nvj.GROUP, "version": nvj.VERSION, "kind": nvj.KIND, "namespace": other, "name": "x"}
                 for other in deploys_to[1:]]
    return world.create(api, world.application(ns, name, destination=deploys_to[0], resources=resources))


def status_of(api, ns, name):
    return json.loads(notes(api, ns, name)[nvj.ANN_NOTEBOOK_STATUS])


def settled_log(kube, api):
    """The requests sent so far (the proxy logs each one before its reply goes out)."""
    return list(kube.request_log)


def app_patches(kube, api):
    return [e for e in settled_log(kube, api) if e["verb"] == "patch" and e["resource"] == "applications"]


def entry(result, ns, name):
    found = [a for a in result["applications"] if (a["namespace"], a["name"]) == (ns, name)]
    assert len(found) == 1, result["applications"]
    return found[0]


@pytest.fixture
def three_apps(api, namespace, spaces):
    """Three Applications, jobs in two namespaces, every tracking style:
    - ``annotated`` (control plane): tracking ids; one job in each namespace → names qualified;
    - ``labelled`` (control plane): instance label in ns_a, part-of label in ns_a;
    - ``team`` in ns_b (apps in any namespace): tracking id and instance label ``<ns_b>_team``.
    Plus a job without parent and one whose tracking id was copied from another job (falls back to its label)."""
    argocd = namespace
    ns_a, ns_b = spaces(2)
    for ns, name, deploys_to in ((argocd, "annotated", (ns_a, ns_b)), (argocd, "labelled", (ns_a,)),
                                 (ns_b, "team", (ns_b,))):
        create_app(api, ns, name, *deploys_to)
    create_job(api, ns_a, "a-ok", "Succeeded", stamp(1), tracking_app="annotated")
    create_job(api, ns_b, "b-fail", "Failed", stamp(2), tracking_app="annotated")
    create_job(api, ns_a, "l-run", "ValidationRunning", instance="labelled")
    create_job(api, ns_a, "l-new", part_of="labelled")  # no status yet: counted as running
    create_job(api, ns_a, "l-fail", "Failed", stamp(3), part_of="labelled")
    create_job(api, ns_b, "t-ok", "Succeeded", stamp(4), tracking_app=ns_b + "_team")
    create_job(api, ns_b, "t-ok2", "Succeeded", stamp(5), instance=ns_b + "_team")
    create_job(api, ns_a, "orphan", "Succeeded", stamp(6))
    copied = job_body(ns_a, "copied", tracking_app="annotated", instance="labelled")
    copied["metadata"]["annotations"][nvj.ANN_TRACKING_ID] = world.tracking_id("annotated", ns_a, "a-ok")
    world.create(api, copied)
    return argocd, ns_a, ns_b


def test_three_applications_two_namespaces_every_tracking_style(api, three_apps):
    argocd, ns_a, ns_b = three_apps
    result = notebook_status.aggregate(api, [ns_a, ns_b], {"argocd_namespace": argocd}, now=T0)
    assert result["changed"] and result["missing_applications"] == [] and result["jobs_without_application"] == 1
    assert [(a["namespace"], a["name"], a["action"]) for a in result["applications"]] == sorted(
        [(argocd, "annotated", "updated"), (argocd, "labelled", "updated"), (ns_b, "team", "updated")])

    annotated = notes(api, argocd, "annotated")
    assert json.loads(annotated[nvj.ANN_NOTEBOOK_STATUS]) == {
        "total": 2, "succeeded": 1, "failed": 1, "running": 0, "lastUpdate": "2026-01-24T22:30:00Z",
        "failedJobs": [ns_b + "/b-fail"], "failedJobsOmitted": 0, "namespaces": sorted([ns_a, ns_b])}
    assert annotated[nvj.ANN_NOTEBOOK_SUMMARY] == "1/2 succeeded (50.0% success rate)"
    assert annotated[nvj.ANN_NOTEBOOK_LAST_FAILURE] == "{}/b-fail@{}".format(ns_b, stamp(2))
    assert annotated[nvj.ANN_NOTEBOOK_LAST_SUCCESS] == "{}/a-ok@{}".format(ns_a, stamp(1))

    labelled = notes(api, argocd, "labelled")
    status = json.loads(labelled[nvj.ANN_NOTEBOOK_STATUS])
    assert (status["total"], status["succeeded"], status["failed"], status["running"]) == (4, 0, 1, 3)
    assert status["failedJobs"] == ["l-fail"]  # one namespace: plain names
    assert [labelled[k] for k in (nvj.ANN_NOTEBOOK_TOTAL, nvj.ANN_NOTEBOOK_SUCCEEDED, nvj.ANN_NOTEBOOK_FAILED,
                                  nvj.ANN_NOTEBOOK_RUNNING, nvj.ANN_NOTEBOOK_LAST_SUCCESS)] == ["4", "0", "1", "3", ""]

    team = notes(api, ns_b, "team")
    assert team[nvj.ANN_NOTEBOOK_SUMMARY] == "2/2 succeeded (100.0% success rate)"
    assert team[nvj.ANN_NOTEBOOK_LAST_FAILURE] == ""
    assert set(notes(api, argocd, "annotated")) >= set(status_tally.MANAGED_KEYS)


def test_reconcile_of_one_job_counts_every_namespace_its_application_used(api, three_apps):
    argocd, ns_a, ns_b = three_apps
    opts = {"argocd_namespace": argocd}
    notebook_status.aggregate(api, [ns_a, ns_b], opts, now=T0)
    job = set_phase(api, ns_a, "a-ok", "Failed", stamp(9))
    result = notebook_status.reconcile(api, job, opts, now=at(1))  # a new failure: written despite the interval
    assert result["parent"] == {"namespace": argocd, "name": "annotated", "source": "tracking-id"}
    assert [a["name"] for a in result["applications"]] == ["annotated"]
    status = status_of(api, argocd, "annotated")
    assert (status["total"], status["failed"]) == (2, 2)  # b-fail in ns_b still counted, from the recorded namespaces
    assert status["failedJobs"] == [ns_a + "/a-ok", ns_b + "/b-fail"]


def test_apps_in_any_namespace_with_reconcile(api, three_apps):
    argocd, _, ns_b = three_apps
    job = api.get(nvj.API_VERSION, nvj.KIND, "t-ok", ns_b)
    result = notebook_status.reconcile(api, job, {"argocd_namespace": argocd}, now=T0)
    assert result["parent"]["namespace"] == ns_b and result["changed"]
    assert status_of(api, ns_b, "team")["total"] == 2
    assert nvj.ANN_NOTEBOOK_STATUS not in notes(api, argocd, "annotated")  # other Applications untouched


def test_unchanged_content_sends_no_patch(api, kube, three_apps):
    argocd, ns_a, ns_b = three_apps
    opts = {"argocd_namespace": argocd}
    notebook_status.aggregate(api, [ns_a, ns_b], opts, now=T0)
    kube.clear_log()
    result = notebook_status.aggregate(api, [ns_a, ns_b], opts, now=at(3600))
    assert not result["changed"] and result["deferred"] == []
    assert {a["action"] for a in result["applications"]} == {"unchanged"}
    assert app_patches(kube, api) == []
    assert status_of(api, argocd, "labelled")["lastUpdate"] == "2026-01-24T22:30:00Z"


def test_debounce_defers_then_the_trailing_write_lands(api, kube, three_apps):
    argocd, ns_a, ns_b = three_apps
    opts = {"argocd_namespace": argocd, "min_interval": 60}
    notebook_status.aggregate(api, [ns_a, ns_b], opts, now=T0)
    set_phase(api, ns_a, "l-run", "Succeeded", stamp(7))
    kube.clear_log()
    early = notebook_status.aggregate(api, [ns_a, ns_b], opts, now=at(20))
    assert not early["changed"] and app_patches(kube, api) == []
    what = "Application {}/labelled annotation {}".format(argocd, nvj.ANN_NOTEBOOK_STATUS)
    assert early["deferred"] == [{"what": what, "retry_after": 40,
                                  "reason": "last written 20s ago; at most one write per 60s (min_interval)"}]
    set_phase(api, ns_a, "l-new", "Succeeded", stamp(8))  # more changes while deferred
    assert notebook_status.aggregate(api, [ns_a, ns_b], opts, now=at(45))["deferred"][0]["retry_after"] == 15
    assert status_of(api, argocd, "labelled")["succeeded"] == 0

    trailing = notebook_status.aggregate(api, [ns_a, ns_b], opts, now=at(60))  # when the controller requeues
    assert trailing["changed"] and trailing["deferred"] == []
    assert entry(trailing, argocd, "labelled")["action"] == "updated"
    assert len(app_patches(kube, api)) == 1  # only the Application whose content changed
    status = status_of(api, argocd, "labelled")
    assert (status["succeeded"], status["running"], status["lastUpdate"]) == (2, 1, "2026-01-24T22:31:00Z")


def test_new_failure_is_written_at_once(api, three_apps):
    argocd, ns_a, ns_b = three_apps
    opts = {"argocd_namespace": argocd, "min_interval": 300}
    notebook_status.aggregate(api, [ns_a, ns_b], opts, now=T0)
    set_phase(api, ns_b, "t-ok2", "Failed", stamp(9))
    result = notebook_status.aggregate(api, [ns_a, ns_b], opts, now=at(2))
    assert entry(result, ns_b, "team")["action"] == "updated" and result["deferred"] == []
    team = notes(api, ns_b, "team")
    assert team[nvj.ANN_NOTEBOOK_FAILED] == "1"
    assert team[nvj.ANN_NOTEBOOK_LAST_FAILURE] == "{}/t-ok2@{}".format(ns_b, stamp(9))


def test_missing_application_is_reported_not_an_error(api, kube, namespace, spaces):
    (ns,) = spaces(1)
    create_job(api, ns, "lost", "Failed", stamp(1), instance="gone")
    result = notebook_status.aggregate(api, [ns], {"argocd_namespace": namespace}, now=T0)
    assert "failed" not in result and not result["changed"]
    assert result["missing_applications"] == [namespace + "/gone"]
    assert entry(result, namespace, "gone")["action"] == "missing"
    assert app_patches(kube, api) == []
    job = api.get(nvj.API_VERSION, nvj.KIND, "lost", ns)
    kube.clear_log()
    single = notebook_status.reconcile(api, job, {"argocd_namespace": namespace}, now=T0)
    assert single["missing_applications"] == [namespace + "/gone"]
    assert [e["verb"] for e in settled_log(kube, api)] == ["get"]  # no list when there is nothing to write


def test_job_being_reconciled_counts_in_its_new_phase(api, namespace, spaces):
    (ns,) = spaces(1)
    create_app(api, namespace, "app", ns)
    for i in range(3):
        create_job(api, ns, "j{}".format(i), "ValidationRunning", instance="app")
    opts = {"argocd_namespace": namespace, "min_interval": 0}
    # The event says j0 succeeded; the list (a lagging cache) still says running.
    stale = api.get(nvj.API_VERSION, nvj.KIND, "j0", ns)
    event = json.loads(json.dumps(stale))
    event["status"].update(phase="Succeeded", completionTime=stamp(1))
    event["metadata"]["resourceVersion"] = str(int(stale["metadata"]["resourceVersion"]) + 1000)
    notebook_status.reconcile(api, event, opts, now=T0)
    status = status_of(api, namespace, "app")
    assert (status["total"], status["succeeded"], status["running"]) == (3, 1, 2)
    # A job created after the list was served is counted too.
    fresh = job_body(ns, "j-new", instance="app", status={"phase": "Failed", "completionTime": stamp(2)})
    fresh["metadata"]["resourceVersion"] = "1"
    notebook_status.reconcile(api, fresh, opts, now=at(1))
    status = status_of(api, namespace, "app")
    assert (status["total"], status["failed"], status["failedJobs"]) == (4, 1, ["j-new"])
    # An older copy than the list's is not preferred.
    set_phase(api, ns, "j1", "Succeeded", stamp(3))
    old = api.get(nvj.API_VERSION, nvj.KIND, "j1", ns)
    old["status"]["phase"] = "ValidationRunning"
    old["metadata"]["resourceVersion"] = "1"
    notebook_status.reconcile(api, old, opts, now=at(2))
    assert status_of(api, namespace, "app")["succeeded"] == 1  # j1 from the list; j0 is really still running


def test_conflict_rereads_then_defers_when_the_budget_is_spent(api, kube, namespace, spaces):
    (ns,) = spaces(1)
    create_app(api, namespace, "app", ns)
    create_job(api, ns, "j", "Succeeded", stamp(1), instance="app")
    opts = {"argocd_namespace": namespace}
    kube.clear_log()
    kube.inject_fault(verb="patch", resource="applications", code=409, count=1)
    once = notebook_status.aggregate(api, [ns], opts, now=T0)
    assert once["changed"] and len(app_patches(kube, api)) == 2
    # (the lists are the pass over Applications whose jobs were all deleted)
    assert [e["verb"] for e in settled_log(kube, api)
            if e["resource"] == "applications" and e["verb"] != "list"] == ["get", "patch", "get", "patch"]
    set_phase(api, ns, "j", "Failed", stamp(2))
    kube.inject_fault(verb="patch", resource="applications", code=409, count=CONFLICT_ATTEMPTS)  # the one budget
    twice = notebook_status.aggregate(api, [ns], opts, now=at(1))
    assert not twice["changed"]
    assert twice["deferred"][0]["retry_after"] == CONFLICT_RETRY_AFTER and "409" in twice["deferred"][0]["reason"]


def test_1200_jobs_across_pages(api, kube, namespace, spaces):
    (ns,) = spaces(1)
    for name in ("even", "odd"):
        create_app(api, namespace, name, ns)
    phases = ["Succeeded", "Succeeded", "Failed", "ValidationRunning", None]
    jobs = []
    for i in range(1200):
        phase = phases[i % 5]
        status = {"phase": phase, "completionTime": "2026-01-24T{:02d}:{:02d}:00Z".format(i // 60 % 24, i % 60),
                  "results": [{"cellIndex": 1, "status": "Success", "output": "x" * 2000}]} if phase else None
        jobs.append(job_body(ns, "job-{:04d}".format(i), instance=("even", "odd")[i % 2], status=status))
    kube.load(jobs)
    kube.clear_log()
    result = notebook_status.aggregate(api, [ns], {"argocd_namespace": namespace, "max_failed_jobs": 5}, now=T0)
    lists = [e for e in settled_log(kube, api) if e["verb"] == "list" and e["resource"] == nvj.PLURAL]
    assert len(lists) == 3 and all(e["query"].get("limit") == "500" for e in lists)
    even, odd = status_of(api, namespace, "even"), status_of(api, namespace, "odd")
    # i % 5 picks the phase, i % 2 the app: each app gets 120 of each phase
    for status in (even, odd):
        assert (status["total"], status["succeeded"], status["failed"], status["running"]) == (600, 240, 120, 240)
        assert len(status["failedJobs"]) == 5 and status["failedJobsOmitted"] == 115
    assert even["failedJobs"][0] == "job-1192"  # newest failure of "even": i=1192 → 19:52
    assert result["jobs_without_application"] == 0 and len(app_patches(kube, api)) == 2


def test_the_next_page_is_asked_for_while_one_is_counted_and_paging_stays_consistent(api, kube, spaces):
    """The list reads one page ahead (``KubeApi._pages``): the second page's request goes out before the caller has
    finished the first, with the continue token of the first; and the pages are one snapshot (the token pins the
    first page's resourceVersion), so a job created meanwhile is not in this list, and none is counted twice."""
    (ns,) = spaces(1)
    kube.load([job_body(ns, "job-{:02d}".format(i)) for i in range(7)])
    kube.clear_log()
    listed = api.list(nvj.API_VERSION, nvj.KIND, namespace=ns, page_size=3)
    first = next(listed)
    world.wait_for("the second page asked for", lambda: len(
        [e for e in settled_log(kube, api) if e["verb"] == "list" and e["resource"] == nvj.PLURAL]) >= 2)
    world.create(api, job_body(ns, "job-05-late"))  # sorts into the third page, which is not read yet
    names = [first["metadata"]["name"]] + [job["metadata"]["name"] for job in listed]
    assert names == ["job-{:02d}".format(i) for i in range(7)]
    lists = [e for e in settled_log(kube, api) if e["verb"] == "list" and e["resource"] == nvj.PLURAL]
    assert len(lists) == 3 and [bool(e["query"].get("continue")) for e in lists] == [False, True, True]
    assert len(list(api.list(nvj.API_VERSION, nvj.KIND, namespace=ns, page_size=3))) == 8


def test_module_check_mode_diff_and_idempotence(api, playbook, three_apps):
    argocd, ns_a, ns_b = three_apps
    args = {"namespaces": [ns_a, ns_b], "argocd_namespace": argocd}
    run = playbook.run([
        {"name": "preview", "mlops.gitops.notebook_status": args, "check_mode": True, "diff": True},
        {"name": "write", "mlops.gitops.notebook_status": args},
        {"name": "again", "mlops.gitops.notebook_status": args},
    ])
    assert run.rc == 0, run.stdout + run.stderr
    preview, write, again = run.result("preview"), run.result("write"), run.result("again")
    assert preview["changed"] and write["changed"] and not again["changed"]
    key = argocd + "/labelled"
    assert preview["diff"]["before"][key] == {}
    assert preview["diff"]["after"][key][nvj.ANN_NOTEBOOK_SUMMARY] == "0/4 succeeded (0.0% success rate)"
    assert {a["action"] for a in again["applications"]} == {"unchanged"}
    assert notes(api, argocd, "labelled")[nvj.ANN_NOTEBOOK_TOTAL] == "4"


def test_module_single_job_and_errors(api, playbook, three_apps):
    argocd, ns_a, _ = three_apps
    run = playbook.run([
        {"name": "one", "mlops.gitops.notebook_status": {"name": "l-fail", "namespace": ns_a,
                                                         "argocd_namespace": argocd}},
        {"name": "absent", "mlops.gitops.notebook_status": {"name": "nope", "namespace": ns_a},
         "ignore_errors": True},
    ])
    one, absent = run.result("one"), run.result("absent")
    assert one["changed"] and one["parent"]["name"] == "labelled"
    assert [a["name"] for a in one["applications"]] == ["labelled"]
    assert absent["failed"] and "NotebookValidationJob {}/nope not found".format(ns_a) in absent["msg"]
    assert nvj.ANN_NOTEBOOK_STATUS not in notes(api, argocd, "annotated")


def test_memory_stays_flat_in_the_number_of_jobs(api, kube, namespace, spaces):
    """Peak memory follows the page size, not the job count: 100 and 1,000 jobs of ~20 KB read 50 at a
    time peak alike (a list held whole would need 20 MB). The kube serves from this process: one
    list beforehand fills its encoding cache, so what is traced is the client's work (and the server's
    per-page buffers)."""
    import tracemalloc

    output = [{"cellIndex": i, "status": "Success", "output": "y" * 1000} for i in range(20)]
    peaks = {}
    for count, ns in zip((100, 1000), spaces(2)):
        create_app(api, namespace, "big{}".format(count), ns)
        kube.load([job_body(ns, "big-{:03d}".format(i), instance="big{}".format(count),
                                status={"phase": "Failed", "completionTime": stamp(i % 60), "results": output})
                       for i in range(count)])
        for _ in api.list(nvj.API_VERSION, nvj.KIND, namespace=ns, page_size=count):
            pass
        tracemalloc.start()
        try:
            result = notebook_status.aggregate(api, [ns], {"argocd_namespace": namespace, "page_size": 50}, now=T0)
            peaks[count] = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert entry(result, namespace, "big{}".format(count))["failed"] == count
    assert peaks[1000] < peaks[100] * 1.6, peaks  # allocator noise: about one page
    assert peaks[1000] < 1000 * 20000 / 2, peaks



def verbs(kube, api):
    return [(e["verb"], e["resource"]) for e in settled_log(kube, api)]


def reconcile_now(api, kube, ns, name, opts, seconds, check_mode=False):
    """Reconcile job ``ns/name`` as the controller does (a fresh read first); the request log then
    holds only the reconcile's own requests."""
    job = api.get(nvj.API_VERSION, nvj.KIND, name, ns)
    settled_log(kube, api)
    kube.clear_log()
    return notebook_status.reconcile(api, job, opts, check_mode=check_mode, now=at(seconds))


LISTED = ("list", "notebookvalidationjobs")
ONLY_THE_APPLICATION = [("get", "applications")]


def test_reconcile_inside_the_interval_decides_before_listing(api, kube, namespace, spaces):
    """A burst costs one Application read per event: inside the interval only a failure the Application
    does not show yet lists (and is written at once); the requeued run after the interval lists and
    writes the exact final counts; one more run after that lists and finds nothing to write."""
    (ns,) = spaces(1)
    create_app(api, namespace, "app", ns)
    for name in ("j0", "j1", "j2"):
        create_job(api, ns, name, "ValidationRunning", instance="app")
    opts = {"argocd_namespace": namespace, "min_interval": 60}
    set_phase(api, ns, "j0", "Succeeded", stamp(1))
    first = reconcile_now(api, kube, ns, "j0", opts, 0)  # nothing written yet: lists and writes
    assert entry(first, namespace, "app")["action"] == "updated" and LISTED in verbs(kube, api)

    set_phase(api, ns, "j1", "Succeeded", stamp(2))
    early = reconcile_now(api, kube, ns, "j1", opts, 20)
    assert verbs(kube, api) == ONLY_THE_APPLICATION  # no list, no patch
    assert early["deferred"][0]["retry_after"] == 40 and not early["changed"]
    assert entry(early, namespace, "app")["action"] == "deferred"
    preview = reconcile_now(api, kube, ns, "j1", opts, 21, check_mode=True)  # check mode predicts the same
    assert verbs(kube, api) == ONLY_THE_APPLICATION
    assert preview["deferred"][0]["retry_after"] == 39 and not preview["changed"]
    assert status_of(api, namespace, "app")["succeeded"] == 1

    set_phase(api, ns, "j2", "Failed", stamp(3))
    failure = reconcile_now(api, kube, ns, "j2", opts, 30)  # a new failure: lists and writes at once
    assert LISTED in verbs(kube, api) and len(app_patches(kube, api)) == 1
    assert failure["changed"] and failure["deferred"] == []
    status = status_of(api, namespace, "app")
    assert (status["succeeded"], status["failed"], status["running"]) == (2, 1, 0)  # j1 counted by the same list
    assert notes(api, namespace, "app")[nvj.ANN_NOTEBOOK_LAST_FAILURE] == "{}/j2@{}".format(ns, stamp(3))

    again = reconcile_now(api, kube, ns, "j2", opts, 35)  # the failure is on the Application now
    assert verbs(kube, api) == ONLY_THE_APPLICATION and again["deferred"][0]["retry_after"] == 55
    create_job(api, ns, "j3", "Succeeded", stamp(4), instance="app")
    assert reconcile_now(api, kube, ns, "j3", opts, 40)["deferred"][0]["retry_after"] == 50
    assert verbs(kube, api) == ONLY_THE_APPLICATION
    set_phase(api, ns, "j0", "ValidationRunning")  # a re-run
    assert reconcile_now(api, kube, ns, "j0", opts, 41)["deferred"][0]["retry_after"] == 49
    assert verbs(kube, api) == ONLY_THE_APPLICATION

    trailing = reconcile_now(api, kube, ns, "j0", opts, 90)  # the requeue after the interval
    assert LISTED in verbs(kube, api) and len(app_patches(kube, api)) == 1
    assert entry(trailing, namespace, "app")["action"] == "updated"
    status = status_of(api, namespace, "app")
    assert {k: status[k] for k in ("total", "succeeded", "failed", "running", "lastUpdate")} == {
        "total": 4, "succeeded": 2, "failed": 1, "running": 1, "lastUpdate": "2026-01-24T22:31:30Z"}
    assert notes(api, namespace, "app")[nvj.ANN_NOTEBOOK_SUMMARY] == "2/4 succeeded (50.0% success rate)"

    quiet = reconcile_now(api, kube, ns, "j3", opts, 151)  # after the interval, nothing changed
    assert LISTED in verbs(kube, api) and app_patches(kube, api) == []
    assert entry(quiet, namespace, "app")["action"] == "unchanged" and quiet["deferred"] == []
    unbounced = reconcile_now(api, kube, ns, "j3", dict(opts, min_interval=0), 152)  # 0: always counts
    assert LISTED in verbs(kube, api) and entry(unbounced, namespace, "app")["action"] == "unchanged"


def test_aggregate_and_refusals_are_not_decided_before_listing(api, kube, namespace, spaces):
    """``aggregate`` (the periodic full recount) keeps listing inside the interval; a job whose claimed
    parent does not deploy into its namespace is refused, not deferred, inside the interval too."""
    home, stranger = spaces(2)
    create_app(api, namespace, "app", home)
    create_job(api, home, "ok", "Succeeded", stamp(1), instance="app")
    opts = {"argocd_namespace": namespace, "min_interval": 60}
    notebook_status.aggregate(api, [home], opts, now=T0)
    set_phase(api, home, "ok", "ValidationRunning")
    kube.clear_log()
    recount = notebook_status.aggregate(api, [home], opts, now=at(10))
    assert LISTED in verbs(kube, api)
    assert recount["deferred"][0]["reason"] == "last written 10s ago; at most one write per 60s (min_interval)"
    assert entry(recount, namespace, "app")["running"] == 1  # counted, unlike a pre-list deferral

    create_job(api, stranger, "intruder", "Succeeded", stamp(2), instance="app")
    refused = reconcile_now(api, kube, stranger, "intruder", opts, 11)
    assert refused["refused"] and refused["deferred"] == [] and refused["applications"] == []
    assert verbs(kube, api) == ONLY_THE_APPLICATION


def test_an_application_whose_jobs_were_all_deleted_is_recounted(api, namespace, spaces):
    """No finalizer, and nothing reconciles a job that is gone: the namespace reconcile passes over the
    Applications carrying the status annotation and recounts those whose jobs were last found in the
    namespaces it covers (issue 14 item 3). Deleting one job of several was handled already."""
    argocd, (ns_a,) = namespace, spaces(1)
    create_app(api, argocd, "emptied", ns_a)
    create_app(api, argocd, "untouched", ns_a)
    create_job(api, ns_a, "ok", "Succeeded", stamp(1), tracking_app="emptied")
    create_job(api, ns_a, "run", "ValidationRunning", tracking_app="emptied")
    create_job(api, ns_a, "keep", "Succeeded", stamp(2), tracking_app="untouched")
    opts = {"argocd_namespace": argocd}
    notebook_status.aggregate(api, [ns_a], opts, now=T0)
    assert notes(api, argocd, "emptied")[nvj.ANN_NOTEBOOK_SUMMARY] == "1/2 succeeded (50.0% success rate)"

    for name in ("ok", "run"):
        api.delete(nvj.API_VERSION, nvj.KIND, name, ns_a)
    result = notebook_status.aggregate(api, [ns_a], opts, now=at(3600))
    assert entry(result, argocd, "emptied")["action"] == "updated", result
    emptied = notes(api, argocd, "emptied")
    assert emptied[nvj.ANN_NOTEBOOK_SUMMARY] == "0/0 succeeded (no notebook validation jobs)"
    assert (emptied[nvj.ANN_NOTEBOOK_TOTAL], emptied[nvj.ANN_NOTEBOOK_RUNNING]) == ("0", "0")
    assert status_of(api, argocd, "emptied")["namespaces"] == []
    assert notes(api, argocd, "untouched")[nvj.ANN_NOTEBOOK_SUMMARY] == "1/1 succeeded (100.0% success rate)"
    assert "1 Application(s) without any counted job recounted" == result["stale_check"]

    settled = notebook_status.aggregate(api, [ns_a], opts, now=at(7200))  # 0/0 records no namespace: settled
    assert not settled["changed"] and [a["name"] for a in settled["applications"]] == ["untouched"]


def test_all_namespaces_recounts_an_application_whose_namespace_has_no_job_left(api, namespace, spaces):
    """``namespaces: ['*']`` covers the namespaces that have jobs; an Application whose only namespace lost
    all its jobs is found through the status annotation, anywhere."""
    argocd, (ns_a,) = namespace, spaces(1)
    create_app(api, argocd, "emptied", ns_a)
    create_job(api, ns_a, "fail", "Failed", stamp(1), tracking_app="emptied")
    opts = {"argocd_namespace": argocd}
    notebook_status.aggregate(api, [ns_a], opts, now=T0)
    api.delete(nvj.API_VERSION, nvj.KIND, "fail", ns_a)
    notebook_status.aggregate(api, [], dict(opts, all_namespaces=True), now=at(3600))
    assert notes(api, argocd, "emptied")[nvj.ANN_NOTEBOOK_FAILED] == "0"
