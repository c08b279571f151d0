#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: notebook_status
short_description: Write the notebook validation state of Argo CD Applications onto the Applications
version_added: 0.1.0
description:
  - Counts the NotebookValidationJobs of one or more namespaces per parent Argo CD Application and writes
    C(mlops.dev/notebook-status) (JSON), C(mlops.dev/notebook-summary) and flat annotations for notification
    triggers (C(mlops.dev/notebook-total), C(-succeeded), C(-failed), C(-running), C(-last-failure),
    C(-last-success)) on each Application.
  - The parent is found as Argo CD tracks resources, the C(argocd.argoproj.io/tracking-id) annotation, then the
    C(app.kubernetes.io/instance) label, then C(app.kubernetes.io/part-of); C(<ns>_<name>) names an Application
    outside O(argocd_namespace).
  - Jobs are read page by page and only counters are kept, so memory does not grow with the number of jobs.
  - An Application is written only when something other than C(lastUpdate) changed, and at most once per
    O(min_interval) seconds. A change that comes too early is returned in RV(deferred) with C(retry_after);
    run again after that many seconds to write it. A new failure is written at once.
  - An Application that does not exist is returned in RV(missing_applications); it is not an error.
  - With O(namespaces), the Applications that carry C(mlops.dev/notebook-status) but had none of their jobs
    counted are recounted when their jobs were last found in one of O(namespaces) (all their jobs were
    deleted). They get the count of what is left, usually C(0/0). See RV(stale_check).
  - With O(name) and O(namespace), only the parent Application of that job is written, counting the jobs of
    the job's namespace and of every namespace where the Application's jobs were found before.
author:
  - mlops.gitops developers (@mlops-gitops)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - mlops.gitops.notebook.argocd_namespace
options:
  namespaces:
    description:
      - Namespaces whose NotebookValidationJobs are counted; every Application that has jobs there is written.
      - Required unless O(name) and O(namespace) are given; with them, these namespaces are counted as well.
    type: list
    elements: str
  name:
    description: Name of one NotebookValidationJob whose parent Application is written.
    type: str
  namespace:
    description: Namespace of the NotebookValidationJob O(name).
    type: str
  min_interval:
    description: Seconds between two writes of one Application (a new failure is written at once). C(0) disables.
    type: int
    default: 60
  max_failed_jobs:
    description:
      - How many failed job names C(failedJobs) lists, newest first; the rest are counted in C(failedJobsOmitted).
    type: int
    default: 20
  page_size:
    description: Jobs requested per list page (C(limit)).
    type: int
    default: 500
attributes:
  check_mode:
    description: Computes and reports what would be written and stores nothing; each write is sent as a
      server-side dry run, so a missing right or an invalid object fails the check as it would fail the real run.
    support: full
  diff_mode:
    description: Returns the managed annotations of each Application before and after.
    support: full
requirements:
  - kubernetes >= 24.2.0
notes:
  - Needs C(get) and C(list) on C(notebookvalidationjobs.mlops.mlops.dev) in the namespaces, and C(get) and
    C(patch) on C(applications.argoproj.io) in the Applications' namespaces. See C(docs/status-aggregation.md).
  - With O(namespaces), also C(list) on C(applications.argoproj.io) in O(argocd_namespace) and in O(namespaces),
    for the Applications whose jobs were all deleted; without it that pass is skipped (RV(stale_check) says so).
"""

EXAMPLES = r"""
- name: Publish notebook status for the Applications of two namespaces
  mlops.gitops.notebook_status:
    namespaces: [ml-pipelines, ml-serving]

- name: On OpenShift GitOps, write at most every 5 minutes
  mlops.gitops.notebook_status:
    namespaces: [ml-pipelines]
    argocd_namespace: openshift-gitops
    min_interval: 300
  register: status

- name: Write the parent Application of one job
  mlops.gitops.notebook_status:
    name: train-model
    namespace: ml-pipelines

- name: Show what would be written
  mlops.gitops.notebook_status:
    namespaces: [ml-pipelines]
  check_mode: true
  diff: true
"""

RETURN = r"""
applications:
  description:
    - One entry per Application considered. The counts are left out when the Application is missing, and for a
      write deferred before listing, when nothing was counted.
  returned: success
  type: list
  elements: dict
  sample: [{"namespace": "argocd", "name": "platform", "action": "updated", "reason": "content changed",
            "summary": "30/32 succeeded (93.8% success rate)", "total": 32, "succeeded": 30, "failed": 2,
            "running": 0}]
  contains:
    namespace:
      description: The Application's namespace.
      returned: always
      type: str
    name:
      description: The Application's name.
      returned: always
      type: str
    action:
      description: C(updated) (in check mode, would be written), C(unchanged), C(deferred) or C(missing).
      returned: always
      type: str
    reason:
      description: Why.
      returned: always
      type: str
    summary:
      description: The summary written to C(mlops.dev/notebook-summary).
      returned: when the jobs were counted
      type: str
    total:
      description: Jobs counted.
      returned: when the jobs were counted
      type: int
    succeeded:
      description: Jobs C(Succeeded).
      returned: when the jobs were counted
      type: int
    failed:
      description: Jobs C(Failed).
      returned: when the jobs were counted
      type: int
    running:
      description: Jobs not finished.
      returned: when the jobs were counted
      type: int
stale_check:
  description:
    - What the pass over Applications whose jobs were all deleted did (how many were recounted), or where
      listing Applications was forbidden. C(null) for a single job (O(name)).
  returned: success
  type: str
  sample: "1 Application(s) without any counted job recounted"
missing_applications:
  description: C(ns/name) of parent Applications named by jobs that do not exist.
  returned: success
  type: list
  elements: str
  sample: ["argocd/old-app"]
jobs_without_application:
  description: How many jobs read had no parent Application.
  returned: success
  type: int
jobs_unconfirmed:
  description: >-
    How many jobs named a parent Application that does not deploy into their namespace (neither its
    C(spec.destination.namespace) nor a namespace in its C(status.resources)); they are not counted, so that a
    job cannot count itself into another team's Application.
  returned: success
  type: int
parent:
  description: The parent Application of the job (O(name) mode); null when none.
  returned: when O(name) is given
  type: complex
  contains:
    namespace:
      description: The Application's namespace.
      returned: always
      type: str
    name:
      description: The Application's name.
      returned: always
      type: str
    source:
      description: Where the job named it (its tracking id or a label).
      returned: always
      type: str
diff:
  description: The managed annotations of each written Application before and after.
  returned: changed and diff mode
  type: complex
  contains:
    before:
      description: Application C(ns/name) to its managed annotations before this task.
      returned: always
      type: dict
    after:
      description: Application C(ns/name) to its managed annotations after it.
      returned: always
      type: dict
deferred:
  description: Writes put off by the debounce or by repeated conflicts.
  returned: success
  type: list
  elements: dict
  contains:
    what:
      description: What was put off (the Application's annotation).
      returned: always
      type: str
    reason:
      description: Why it was put off.
      returned: always
      type: str
    retry_after:
      description: Seconds after which to try again.
      returned: always
      type: int
      sample: 30
refused:
  description:
    - With O(name), the parent Application the job names when that Application does not deploy into the job's
      namespace (its C(spec.destination.namespace) and C(status.resources)); its status is left alone. Else empty.
  returned: success
  type: list
  elements: dict
  contains:
    what:
      description: The Application.
      returned: always
      type: str
    reason:
      description: Why, and the fix.
      returned: always
      type: str
events:
  description: Always empty for this module; present for a uniform result.
  returned: success
  type: list
  elements: str
"""

from ansible_collections.mlops.gitops.plugins.module_utils import notebook_status, module_runner

OPTION_KEYS = ("argocd_namespace", "min_interval", "max_failed_jobs", "page_size")


def execute(module, api):
    params = module.params
    options = dict((key, params[key]) for key in OPTION_KEYS)
    if params["name"]:
        job, missing = module_runner.read_job(api, params["name"], params["namespace"])
        if missing:
            return missing
        options["namespaces"] = params["namespaces"] or []
        return notebook_status.reconcile(api, job, options, check_mode=module.check_mode)
    return notebook_status.aggregate(api, params["namespaces"], options, check_mode=module.check_mode)


def main():
    module = module_runner.build_module(
        module_runner.ARGOCD_NAMESPACE_SPEC,
        {
            "namespaces": {"type": "list", "elements": "str"},
            "name": {"type": "str"},
            "namespace": {"type": "str"},
            "min_interval": {"type": "int", "default": 60},
            "max_failed_jobs": {"type": "int", "default": 20},
            "page_size": {"type": "int", "default": 500},
        },
        required_one_of=[("namespaces", "name")],
        required_together=[("name", "namespace")],
    )
    module_runner.run(module, execute)


if __name__ == "__main__":
    main()
