#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: notebook_wave
short_description: Keep the sync-wave markers of a NotebookValidationJob in line with its phase
version_added: 0.1.0
description:
  - On C(Succeeded) writes C(mlops.dev/wave-complete) (the job's sync wave) and C(mlops.dev/completion-time);
    on C(Failed) writes C(mlops.dev/wave-failed) and C(mlops.dev/failure-time). The opposite pair is removed.
  - Any other phase means the job runs again, so all four markers are removed and nothing waits on a stale marker.
  - The wave is read as Argo CD reads it, C(argocd.argoproj.io/sync-wave) as an integer, else
    C(helm.sh/hook-weight), else C(0). A job without the annotation is therefore marked with wave C(0).
  - The timestamp is the job's C(status.completionTime), so repeated runs send nothing once the markers are right.
  - A terminal phase without a valid (RFC 3339) C(status.completionTime) is not marked yet and is reported as
    C(deferred); the Go operator writes C(Failed) first without it when an image build fails.
  - One JSON merge patch guarded by C(metadata.resourceVersion); on a conflict the job is read again.
author:
  - mlops.gitops developers (@mlops-gitops)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
  - mlops.gitops.notebook
attributes:
  check_mode:
    description: Reports the marker changes and stores nothing; each write is sent as a server-side dry run, so a
      missing right or an invalid object fails the check as it would fail the real run.
    support: full
  diff_mode:
    description: Returns the marker annotations before and after.
    support: full
requirements:
  - kubernetes >= 24.2.0
notes:
  - See C(docs/sync-waves.md) for how the markers, the health check and the wait work together.
"""

EXAMPLES = r"""
- name: Mark the wave of a finished notebook
  mlops.gitops.notebook_wave:
    name: train-model
    namespace: ml-pipelines

- name: Show what would change
  mlops.gitops.notebook_wave:
    name: train-model
    namespace: ml-pipelines
  check_mode: true
  diff: true
"""

RETURN = r"""
wave:
  description: The job's sync wave as Argo CD computes it (null when the job is gone).
  returned: success
  type: str
  sample: "3"
markers:
  description: The marker annotations on the job after this task.
  returned: success
  type: dict
  sample: {"mlops.dev/wave-complete": "3", "mlops.dev/completion-time": "2026-01-24T22:30:00Z"}
object:
  description: The NotebookValidationJob after the patch (only when one was sent; in check mode as the server's
    dry run would leave it).
  returned: changed
  type: dict
diff:
  description: The marker annotations before and after.
  returned: changed
  type: dict
deferred:
  description:
    - Work put off, with C(what), C(reason), C(retry_after) in seconds. Repeated write conflicts, or a terminal
      phase without a valid C(status.completionTime) (not marked until the operator writes one).
  returned: success
  type: list
  elements: dict
refused:
  description: Always empty for this module; present for a uniform result.
  returned: success
  type: list
  elements: dict
events:
  description:
    - Names of Events created by this task. A C(Warning) Event with reason C(InvalidStatusTime) when a status
      time is set but is not RFC 3339 (it is treated as missing), once per value.
  returned: success
  type: list
  elements: str
"""

from ansible_collections.mlops.gitops.plugins.module_utils import module_runner, waves


def execute(module, api):
    name, namespace = module.params["name"], module.params["namespace"]
    job, missing = module_runner.read_job(api, name, namespace)
    if missing:
        return missing
    return waves.reconcile(api, job, check_mode=module.check_mode)


def main():
    module = module_runner.build_module(
        module_runner.JOB_SPEC
    )
    module_runner.run(module, execute)


if __name__ == "__main__":
    main()
