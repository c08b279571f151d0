# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.gitops developers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The kubernetes Python library, imported without its generated API and model classes until one is used.

``import kubernetes`` (kubernetes.core's client does it) runs the library's ``__init__.py``, which imports every
subpackage, and ``kubernetes/client/__init__.py``, which imports the ~60 generated API classes and ~700 models:
about 780 modules and 0.1 CPU s in every controller run, which uses none of them (it sends the dynamic client's raw
requests and reads plain dicts). ``defer()``, called before the first import, puts in ``sys.modules`` for the
library's four generated packages (``kubernetes``, ``kubernetes.client``, ``kubernetes.client.api``,
``kubernetes.client.models``) a package that imports a name when it is first read, from the module the package's
own ``__init__.py`` imports it from; any other name is a submodule, imported as the real package would. The
library's files are run unchanged and nothing in them is patched; only when its packages' names are imported
differs. Whatever reads ``kubernetes.client.V1Pod``, ``from kubernetes.client import ApiClient`` or
``kubernetes.config`` gets the same object as with the eager import.

``defer()`` leaves everything as it is when the library is already imported or not installed, or when one of those
``__init__.py`` holds anything but the plain imports and string constants the OpenAPI generator writes (a library
version it does not know): then it is imported as usual. Newer releases of the library import their API and model
classes lazily themselves (kubernetes 37: ``kubernetes/client/__init__.py`` holds a ``__getattr__``); there only
the top package is deferred.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import importlib
import importlib.util
import re
import sys
import types

# The packages whose __init__.py only imports, parents first: a parent imported eagerly imports its children anyway.
PACKAGES = ("kubernetes", "kubernetes.client", "kubernetes.client.api", "kubernetes.client.models")

_FROM = re.compile(r"from (\w+(?:\.\w+)*) import (\w+)(?: as (\w+))?")
_SUBMODULE = re.compile(r"from \. import (\w+)")
_CONSTANT = re.compile(r"""(__\w+__) = (?:"([^"\\]*)"|'([^'\\]*)')""")
_IGNORED = re.compile(r"(#.*)?|from __future__ import [\w, ]+")


class DeferredPackage(types.ModuleType):
    """A package that imports each name of its ``__init__.py`` when the name is first read."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        source = self.__dict__["_deferred_names"].get(name)
        submodule = "{0}.{1}".format(self.__name__, name)
        try:
            value = getattr(importlib.import_module(source[0]), source[1]) if source else \
                importlib.import_module(submodule)
        except ImportError as exc:
            if source or getattr(exc, "name", None) != submodule:
                raise  # a module the name needs is missing or broken: its own error, not a missing name
            raise AttributeError("module {0!r} has no attribute {1!r}".format(self.__name__, name)) from None
        setattr(self, name, value)
        return value

    def __dir__(self):
        return sorted(set(self.__dict__) | set(self.__dict__["_deferred_names"]))


def _contents(path):
    """``(names, constants, submodules)`` of a generated ``__init__.py``: ``{name: (module, attribute)}`` it
    imports, the ``__dunder__`` strings it sets and the submodules it imports; None when it holds anything else."""
    names, constants, submodules, docstring = {}, {}, [], False
    with open(path) as source:
        lines = source.read().splitlines()
    for line in (text.strip() for text in lines):
        if docstring or line.startswith('"""'):  # the module's docstring: its first line, those inside, its last
            docstring = line.count('"""') == (0 if docstring else 1)
            continue
        if _IGNORED.fullmatch(line):
            continue
        imported, constant, submodule = _FROM.fullmatch(line), _CONSTANT.fullmatch(line), _SUBMODULE.fullmatch(line)
        if imported:
            names[imported.group(3) or imported.group(2)] = (imported.group(1), imported.group(2))
        elif constant:
            constants[constant.group(1)] = constant.group(2) if constant.group(2) is not None else constant.group(3)
        elif submodule:
            submodules.append(submodule.group(1))
        else:
            return None
    return names, constants, submodules


def _deferred(name):
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.origin or spec.submodule_search_locations is None:
        return None
    try:
        contents = _contents(spec.origin)
    except (OSError, UnicodeDecodeError):
        return None
    if contents is None:
        return None
    package = DeferredPackage(name)
    package.__dict__.update(contents[1])
    package.__spec__, package.__loader__, package.__file__ = spec, spec.loader, spec.origin
    package.__path__, package.__package__ = list(spec.submodule_search_locations), name
    package.__all__ = sorted(set(contents[0]) | set(contents[2]))  # what ``import *`` took from the real one
    package._deferred_names = contents[0]
    return package


def defer(packages=PACKAGES):
    """Register the deferred packages (see the module's doc; ``packages``: parents first); True when some are."""
    if any(name in sys.modules for name in packages):
        return False
    try:
        if importlib.util.find_spec(packages[0]) is None:
            return False
    except (ImportError, ValueError):
        return False
    registered = []
    for name in packages:
        package = _deferred(name)
        if package is None:
            break  # this package is imported as usual, and with it the packages below it
        sys.modules[name] = package
        parent, _dot, child = name.rpartition(".")
        if parent:
            setattr(sys.modules[parent], child, package)
        registered.append(name)
    return bool(registered)
