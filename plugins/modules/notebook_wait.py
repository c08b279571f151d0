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
  - A throttled, unavailable or unreachable API server (HTTP 429, 5xx; a connection refused or reset, a name that
    does not resolve, a TLS handshake that times out) is waited out with a short back-off, never past O(timeout) or
    O(deadline); then the task fails once, naming the API server and the last error (RV(api_server)). Other API
    errors (403, 404) fail at once.
  - Spaces around a name (O(namespace), O(application), O(names), O(argocd_namespace)) are ignored; a name that
    still is not a valid Kubernetes name is refused before the first request, naming the option.
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
  deadline:
    description:
      - The end of a longer wait split into several calls, as a Unix time (seconds, as C(now().timestamp()) gives
        it). This call waits O(timeout) seconds at most and never past O(deadline), so the last call of the wait
        only waits the time left. RV(deadline_reached) says whether it ended there.
      - Playbook C(mlops.gitops.wait_for_wave) calls the module once per poll this way, to print a line per poll.
    type: float
  fail_on_timeout:
    description:
      - Whether a wait that ends at O(timeout) or O(deadline) without a verdict fails the task.
      - With V(false) it returns RV(timed_out) and the job lists without failing, for a caller that decides itself
        (another poll, or its own message); a Failed job, an empty selection or an API error still fail.
    type: bool
    default: true
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
  description: True when the wait ended at O(timeout) or O(deadline) without a verdict.
  returned: on timeout
  type: bool
deadline_reached:
  description: True when the wait ended at O(deadline) (no time is left for another call).
  returned: on timeout, when O(deadline) is set
  type: bool
api_server:
  description: The API server that did not answer (or kept answering 429/5xx) until the wait ended.
  returned: when the wait ended without an answer from the API server
  type: str
msg:
  description: What failed or was not done in time, naming the jobs, or the API server and its last error.
  returned: on failure or timeout
  type: str
elapsed:
  description: Seconds waited.
  returned: always
  type: float
watches:
  description: Number of watch requests made.
  returned: always
  type: int
"""

import math
import time

from ansible_collections.mlops.gitops.plugins.module_utils import module_runner, notebook_wait
from ansible_collections.mlops.gitops.plugins.module_utils.names import is_namespace


def execute(module, connect):
    params = module.params
    try:
        namespace = notebook_wait.clean_name("namespace", params["namespace"], is_namespace)
        selector = notebook_wait.Selector(
            wave=params["wave"],
            application=params["application"],
            names=params["names"],
            block_wave=params["block_wave"],
            argocd_namespace=params["argocd_namespace"],
        )
    except ValueError as exc:
        return {"failed": True, "msg": str(exc)}
    if not namespace:
        return {"failed": True, "msg": "namespace is empty: give the namespace of the NotebookValidationJobs"}
    if params["timeout"] < 0 or params["watch_timeout"] < 1:
        return {"failed": True, "msg": "timeout must be >= 0 and watch_timeout >= 1 (seconds)"}
    timeout, cut = params["timeout"], False
    if params["deadline"] is not None:
        left = math.floor(max(0.0, params["deadline"] - time.time()) * 10) / 10  # never past the deadline
        timeout, cut = min(timeout, left), left <= timeout
    result = notebook_wait.wait(
        connect,
        namespace,
        selector,
        timeout=timeout,
        watch_timeout=params["watch_timeout"],
        label_selector=params["label_selector"],
    )
    if result.get("timed_out"):
        if params["deadline"] is not None:
            result["deadline_reached"] = cut
        if not params["fail_on_timeout"]:
            del result["failed"]
    return result


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
            "deadline": {"type": "float"},
            "fail_on_timeout": {"type": "bool", "default": True},
            "watch_timeout": {"type": "int", "default": 60},
        },
        required_one_of=[("wave", "block_wave", "application", "names")],
    )
    module_runner.run(module, execute, connect_later=True)


if __name__ == "__main__":
    main()
