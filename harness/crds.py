"""Which CustomResourceDefinitions the tests install: the upstream projects' own when available, else ours.

``crd_paths()`` returns the CRD files a test session should install on its API server:

1. ``MLOPS_TEST_CRDS=<dir>`` set: the ``*.yaml`` files in that folder (an error if it has none, so a
   mistyped path never falls back silently).
2. else, when the upstream reference folder exists beside the checkout
   (``<repo>/../shared/reference/crds``, as in CI): those files. They are the CRDs exactly as Argo CD, the
   Argo CD Operator, KServe and the notebook validator operator publish them, so the server prunes and
   rejects whatever a real cluster with those operators installed would. They are data read in place and
   never copied into this repository.
3. else (a fresh clone on its own): ``tests/data/crds``, our own CRDs, written from the same projects' API
   types with structural schemas for every field the collection reads or writes.

Argo CD's Application and AppProject come from the Argo CD release the tests run (``.build/argocd-release``,
copied out of its Go module by ``tools/gobuild/build.sh argocd``) whenever it is built, in place of the
other two sets' copies: the real controller must find its own CRDs. tests/unit/test_crd_schemas.py checks
that the release's CRDs declare everything the collection writes and reads, as the reference ones do.

``OWN_CRDS``, ``reference_dir()`` and ``ARGOCD_RELEASE`` serve tests that compare the sets.
"""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OWN_CRDS = REPO / "tests" / "data" / "crds"
REFERENCE_CRDS = Path(__file__).resolve().parents[2] / "shared" / "reference" / "crds"
ENV = "MLOPS_TEST_CRDS"
ARGOCD_RELEASE = REPO / ".build" / "argocd-release"
ARGOCD_RELEASE_CRDS = ("application-crd.yaml", "appproject-crd.yaml")
ARGOCD_CRD_NAMES = ("applications.argoproj.io", "appprojects.argoproj.io")


def _yaml_files(folder):
    return sorted(path for path in Path(folder).iterdir() if path.suffix in (".yaml", ".yml") and path.is_file())


def reference_dir():
    """The upstream CRD folder in use (``MLOPS_TEST_CRDS``, else ``../shared/reference/crds``), or None."""
    override = os.environ.get(ENV)
    if override:
        return Path(override)
    return REFERENCE_CRDS if REFERENCE_CRDS.is_dir() else None


def argocd_release_crds() -> list[Path]:
    """The Application and AppProject CRDs of the Argo CD release built here, or [] when it is not built."""
    files = [ARGOCD_RELEASE / name for name in ARGOCD_RELEASE_CRDS]
    return files if all(f.is_file() for f in files) else []


def _names(path):
    import yaml

    return {d["metadata"]["name"] for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d}


def crd_paths() -> list[Path]:
    """The CRD files to install (see the module docstring), Argo CD's own from its release when it is built."""
    files = _chosen_paths()
    release = argocd_release_crds()
    if release:
        files = [f for f in files if not _names(f) & set(ARGOCD_CRD_NAMES)] + release
    return files


def _chosen_paths() -> list[Path]:
    """``$MLOPS_TEST_CRDS``, else the upstream reference CRDs, else tests/data/crds."""
    override = os.environ.get(ENV)
    if override:
        folder = Path(override)
        files = _yaml_files(folder) if folder.is_dir() else []
        if not files:
            raise FileNotFoundError(f"{ENV}={override}: no *.yaml CRD files there")
        return files
    if REFERENCE_CRDS.is_dir():
        files = _yaml_files(REFERENCE_CRDS)
        if files:
            return files
    return _yaml_files(OWN_CRDS)
