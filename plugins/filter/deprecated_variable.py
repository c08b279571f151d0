# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``old_value | mlops.gitops.deprecated_variable('namespace', 'job_namespace')``: the value unchanged, and
Ansible's own deprecation warning when it is set. Lets a playbook rename a variable (for example away from
a name Ansible reserves) while the old name keeps working for a while."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible.utils.display import Display


def deprecated_variable(value, old, new):
    if not isinstance(old, str) or not isinstance(new, str) or not old or not new:
        raise AnsibleFilterError("deprecated_variable expects the old and the new variable name, got {0!r}, {1!r}"
                                 .format(old, new))
    if value is not None and value != "":
        Display().deprecated(
            "The variable {0!r} is deprecated (Ansible reserves that name); set {1!r} instead".format(old, new),
            version="2.0.0",
            collection_name="mlops.gitops",
        )
    return value


class FilterModule(object):
    def filters(self):
        return {"deprecated_variable": deprecated_variable}
