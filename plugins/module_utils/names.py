# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Kubernetes names and keys, one definition each, for every check of this collection.

Patterns are matched whole (``fullmatch``: ``$`` would accept a trailing newline); lengths are checked apart from the
pattern, so a message can say "too long" rather than "not a name".
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

MAX_NAME = 253  # an object name: a DNS subdomain (RFC 1123)
MAX_NAMESPACE = 63  # a namespace: a DNS label (RFC 1123)
OBJECT_NAME = re.compile(r"[a-z0-9]([-a-z0-9.]*[a-z0-9])?")
NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
SERVICE_NAME = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")  # a DNS-1035 label: a Service's name, at most 63 characters
API_GROUP = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
# an annotation or label key: an optional DNS-subdomain prefix and "/", then a name of at most 63 characters
ANNOTATION_KEY = re.compile(r"([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")


def is_object_name(value):
    """Whether ``value`` can be an object's name (a DNS subdomain of at most 253 characters)."""
    return isinstance(value, str) and len(value) <= MAX_NAME and OBJECT_NAME.fullmatch(value) is not None


def is_namespace(value):
    """Whether ``value`` can be a namespace's name (a DNS label of at most 63 characters)."""
    return isinstance(value, str) and len(value) <= MAX_NAMESPACE and NAMESPACE.fullmatch(value) is not None


def describe(kind, name, namespace=None):
    """``Kind ns/name`` (``Kind name`` for a cluster-scoped object), as every message of this collection names one."""
    return "{0} {1}{2}".format(kind, namespace + "/" if namespace else "", name)
