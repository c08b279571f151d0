#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: notebook_wait
short_description: Wait until the NotebookValidationJobs of a sync wave or an Application have succeeded
version_added: 0.1.0
description:
  - Selects NotebookValidationJobs in one namespace by sync wave, by C(mlops.dev/block-wave), by parent Argo CD
    Application and/or by name (all given criteria must hold), and waits until every one is C(Succeeded).
  - Watches the API (one list, then a watch from its resourceVersion) instead of polling.
  - Fails as soon as one selected job is C(Failed), naming the failed jobs and their messages.
  - Fails after O(timeout) seconds, naming the jobs that are not done yet and their phases.
  - An empty selection fails at once, so a mistyped wave or application does not pass silently; so does a selection
    that empties while waiting (every selected job's annotations changed), instead of succeeding with no job.
  - A throttled or briefly unavailable API (HTTP 429, 5xx, a broken connection) is waited out with a short back-off
    until O(timeout); other API errors (403, 404) fail at once.
  - Meant to run in an Argo CD B(Sync) hook (not PreSync) at the wave that must wait; see C(docs/sync-waves.md).
author:
  - mlops.gitops developers (@mlops-gitops)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - mlops.gitops.notebook.argocd_namespace
options:
  namespace:
    description: Namespace of the NotebookValidationJobs.
    type: str
    required: true
  wave:
    description: Select jobs whose C(argocd.argoproj.io/sync-wave) is this integer (jobs without it are wave C(0)).
    type: str
  block_wave:
    description:
      - Select jobs whose C(mlops.dev/block-wave) annotation is this integer, that is the jobs that must succeed
        before wave O(block_wave) may proceed. Use it in the hook of that wave with the wave's own number.
    type: str
  application:
    description:
      - Select jobs whose parent Argo CD Application has this name (C(name), C(<namespace>_<name>) or
        C(<namespace>/<name>)); the parent is found by tracking id, then C(app.kubernetes.io/instance),
        then C(app.kubernetes.io/part-of).
    type: str
  names:
    description: Select jobs by name; every listed name must exist. Spaces around a name are ignored.
    type: list
    elements: str
  label_selector:
    description: A label selector applied by the API server before the other criteria.
    type: str
  timeout:
    description: Seconds to wait in total.
    type: int
    default: 600
  watch_timeout:
    description: Seconds per watch request (C(timeoutSeconds)); the watch is resumed until O(timeout).
    type: int
    default: 60
attributes:
  check_mode:
    description: Waits as usual, since waiting only reads.
    support: full
  diff_mode:
    description: Not supported, nothing is changed.
    support: none
requirements:
  - kubernetes >= 24.2.0
"""

EXAMPLES = r"""
- name: Wait for the notebooks of wave 3 before wave 4 deploys
  mlops.gitops.notebook_wait:
    namespace: ml-pipelines
    wave: "3"
    timeout: 1800

- name: Wait for every notebook that blocks wave 4
  mlops.gitops.notebook_wait:
    namespace: ml-pipelines
    block_wave: "4"

- name: Wait for the notebooks of an Application
  mlops.gitops.notebook_wait:
    namespace: ml-pipelines
    application: fraud-model
    argocd_namespace: openshift-gitops
"""

RETURN = r"""
succeeded_jobs:
  description: Selected jobs that are C(Succeeded).
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The job's name.
      returned: always
      type: str
    phase:
      description: The job's phase (C((deleted)) for a job deleted while waiting).
      returned: always
      type: str
    wave:
      description: The job's sync wave as Argo CD computes it.
      returned: always
      type: str
    message:
      description: The job's C(status.message).
      returned: always
      type: str
failed_jobs:
  description:
    - Selected jobs that are C(Failed).
    - Each entry has the keys of RV(succeeded_jobs).
  returned: always
  type: list
  elements: dict
pending_jobs:
  description:
    - Selected jobs not finished yet.
    - Each entry has the keys of RV(succeeded_jobs).
  returned: always
  type: list
  elements: dict
timed_out:
  description: True when the wait ended at O(timeout).
  returned: on timeout
  type: bool
elapsed:
  description: Seconds waited.
  returned: always
  type: float
watches:
  description: Number of watch requests made.
  returned: always
  type: int
"""

from ansible_collections.mlops.gitops.plugins.module_utils import module_runner, notebook_wait


def execute(module, api):
    params = module.params
    try:
        selector = notebook_wait.Selector(
            wave=params["wave"],
            application=params["application"],
            names=params["names"],
            block_wave=params["block_wave"],
            argocd_namespace=params["argocd_namespace"],
        )
    except ValueError as exc:
        return {"failed": True, "msg": str(exc)}
    if params["timeout"] < 0 or params["watch_timeout"] < 1:
        return {"failed": True, "msg": "timeout must be >= 0 and watch_timeout >= 1 (seconds)"}
    return notebook_wait.wait(
        api,
        params["namespace"],
        selector,
        timeout=params["timeout"],
        watch_timeout=params["watch_timeout"],
        label_selector=params["label_selector"],
    )


def main():
    module = module_runner.build_module(
        module_runner.ARGOCD_NAMESPACE_SPEC,
        {
            "namespace": {"type": "str", "required": True},
            "wave": {"type": "str"},
            "block_wave": {"type": "str"},
            "application": {"type": "str"},
            "names": {"type": "list", "elements": "str"},
            "label_selector": {"type": "str"},
            "timeout": {"type": "int", "default": 600},
            "watch_timeout": {"type": "int", "default": 60},
        },
        required_one_of=[("wave", "block_wave", "application", "names")],
    )
    module_runner.run(module, execute)


if __name__ == "__main__":
    main()
