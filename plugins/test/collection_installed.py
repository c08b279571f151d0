# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""``'operator_sdk.util' is mlops.gitops.collection_installed``: whether Ansible can load a collection.

Lets a role use an optional collection (for example operator_sdk.util, present in ansible-operator images) without
failing when it is absent. Asks the
collection loader Ansible itself uses, so every configured collections path counts."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib.util
import re

from ansible.errors import AnsibleFilterError

NAME_RE = re.compile(r"[a-zA-Z_]\w*\.[a-zA-Z_]\w*")  # fullmatch: no trailing newline


def collection_installed(name):
    if not isinstance(name, str) or not NAME_RE.fullmatch(name):
        raise AnsibleFilterError(
            "collection_installed expects a collection name such as operator_sdk.util, got {0!r}".format(name)
        )
    try:
        return importlib.util.find_spec("ansible_collections." + name) is not None
    except (ImportError, ValueError):
        return False


class TestModule(object):
    def tests(self):
        return {"collection_installed": collection_installed}
