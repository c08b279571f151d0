# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Hand ansible-operator the requeue of the resource being reconciled, in the run's own process.

ansible-operator reads the requeue from the run's events: the first event of a task whose action is
``requeue_after`` (or ``operator_sdk.util.requeue_after``) with ``res.period`` in it, a Go duration, ends its reading
of the run and becomes the reconcile's ``RequeueAfter`` (internal/ansible/controller/reconcile.go). So the task is
written ``requeue_after:``, which a role of this collection resolves to this plugin, and returns ``period``, as
operator_sdk.util's module does; but no module process is forked for it. Documentation:
plugins/modules/requeue_after.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.plugins.action import ActionBase

SPEC = {"seconds": {"type": "int", "required": True}}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _validation, params = self.validate_argument_spec(argument_spec=SPEC)
        seconds = params["seconds"]
        if seconds < 1:
            return dict(result, failed=True, msg="seconds must be an integer >= 1 (the requeue's delay), got {0}: "
                        "leave the task out for no requeue".format(seconds))
        result.update(changed=False, period="{0}s".format(seconds))
        return result
