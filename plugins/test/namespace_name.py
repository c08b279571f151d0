# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``argocd_namespace is mlops.gitops.namespace_name``: whether a value can be a namespace's name, by the one
definition the collection's modules check it with (``module_utils/names.py``)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.mlops.gitops.plugins.module_utils.names import is_namespace


def namespace_name(value):
    return is_namespace(value)


class TestModule(object):
    def tests(self):
        return {"namespace_name": namespace_name}
