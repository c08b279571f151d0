#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the action plugin plugins/action/operator_metrics.py, which does the work on the
# controller, in the run's own process.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: operator_metrics
short_description: Count a reconcile's completion and trigger actions in ansible-operator's metrics
version_added: 0.1.0
description:
  - Sends the metrics of one M(mlops.gitops.notebook_reconcile) result to ansible-operator's metrics receiver,
    which serves them on its C(/metrics) next to its own. C(notebook_validation_total) (a counter, one per
    completion), C(notebook_validation_duration_seconds) (a histogram of the completed job's duration) and
    C(argocd_triggers_total) (a counter of the on-success trigger actions run). The reconcile reports each
    completion and each trigger action once, so each is counted once.
  - Runs in the run's own process; nothing is forked (C(operator_sdk.util.osdk_metric) forks a module process per
    metric), and no other collection is needed.
  - A metric that cannot be sent is a warning, never a failure. In check mode nothing is sent.
  - Labelled counts (per namespace, phase or Application) come from kube-state-metrics; see the collection's
    operator guide.
  - This is an action plugin; it runs on the controller host, whatever the target host of the play is.
author:
  - mlops.gitops developers (@mlops-gitops)
extends_documentation_fragment:
  - mlops.gitops.notebook.reporting
options:
  metrics:
    description: The I(metrics) of a M(mlops.gitops.notebook_reconcile) result.
    type: dict
    required: true
  url:
    description: ansible-operator's metrics receiver (fixed in ansible-operator).
    type: str
    default: http://localhost:5050/metrics
  timeout:
    description: Seconds to wait for the receiver.
    type: float
    default: 5.0
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Sends nothing in check mode.
"""

EXAMPLES = r"""
- name: Reconcile the job
  mlops.gitops.notebook_reconcile:
    name: train
    namespace: ml-pipelines
  register: reconciled

- name: Count its completion and trigger actions in ansible-operator's metrics
  mlops.gitops.operator_metrics:
    metrics: "{{ reconciled.metrics }}"
  when: reconciled.metrics is defined
"""

RETURN = r"""
sent:
  description: The metrics sent (none when there was nothing to count).
  returned: always
  type: list
  elements: str
  sample: [notebook_validation_total, notebook_validation_duration_seconds, argocd_triggers_total]
"""
