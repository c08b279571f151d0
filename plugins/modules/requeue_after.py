#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

# This file only documents the action plugin plugins/action/requeue_after.py, which does the work on the
# controller, in the run's own process.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: requeue_after
short_description: Ask ansible-operator to reconcile the resource again after some seconds, without a module process
version_added: 0.1.0
description:
  - Returns I(period), which ansible-operator turns into the reconcile's requeue when it sees the task succeed.
    It reads the requeue from the run's events of a task whose action is C(requeue_after) (or
    C(operator_sdk.util.requeue_after)), so give the task the action name C(requeue_after) in a role that lists
    C(mlops.gitops) in its C(collections), which resolves it to this plugin. ansible-operator stops reading the
    run at that event, so make it the last task.
  - Unlike C(operator_sdk.util.requeue_after) it runs in the run's own process (no module is forked), and this
    collection needs no other collection for it.
  - Outside ansible-operator it only returns I(period).
  - This is an action plugin; it runs on the controller host, whatever the target host of the play is.
author:
  - mlops.gitops developers (@mlops-gitops)
extends_documentation_fragment:
  - mlops.gitops.notebook.reporting
options:
  seconds:
    description: The delay before the next reconcile, in seconds (1 or more).
    type: int
    required: true
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: Writes nothing in any mode.
"""

EXAMPLES = r"""
# The last task of a role that ansible-operator runs, whose meta/main.yml lists collections: [mlops.gitops]
# (the mlops.gitops.notebook_controller role does this).
- name: Ask ansible-operator to reconcile the resource again in 30 s
  requeue_after:  # noqa: fqcn[action] - ansible-operator recognises the action by this name
    seconds: 30
"""

RETURN = r"""
period:
  description: The delay as a Go duration, which ansible-operator parses.
  returned: success
  type: str
  sample: 30s
"""
