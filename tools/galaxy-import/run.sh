#!/usr/bin/env bash
# `make galaxy-import`: run galaxy-importer, the check Galaxy and Automation Hub run on an upload, on the
# tarball `make collection` built, and fail on any error, warning, ansible-lint or ansible-doc message.
#
# - galaxy-importer lives in a venv of its own ($BUILD/venv-galaxy-importer, from requirements.lock beside
#   this file, made by `make lock` from requirements.txt): it pins attrs<24, older than what .venv has.
# - Its settings are galaxy-importer.cfg beside this file: ansible-doc and ansible-lint on, ansible-test in a
#   container off (no images here; `make sanity` runs ansible-test).
# - Dependencies resolve as on Galaxy, offline: kubernetes.core is the one PyPI's `ansible` package put into
#   .venv, offered to ansible-doc and ansible-lint on PYTHONPATH (ansible-core finds collections on sys.path),
#   next to nothing else: not the collections path `make collection` installed into.
# The importer's full output is kept in $BUILD/galaxy-import/importer.log.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
build="${BUILD:-$repo/.build}"
tarball="$(ls "$build"/dist/mlops-gitops-*.tar.gz)"
venv="$build/venv-galaxy-importer"
stamp="$venv/.installed-$(sha256sum "$here/requirements.lock" | cut -c1-16)"
if [ ! -e "$stamp" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes -r "$here/requirements.lock"
  touch "$stamp"
fi
work="$build/galaxy-import"
rm -rf "$work"
mkdir -p "$work/deps/ansible_collections/kubernetes"
# The importer unpacks the tarball outside this checkout: inside it (where .build is git-ignored) ansible-lint
# would take its file list from this repo's git and silently lint nothing.
tmp="$(mktemp -d "${TMPDIR:-/tmp}/mlops-gitops-galaxy-import.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
core="$(PYTHONPATH= "$repo/.venv/bin/python" -c \
  'import importlib.util as u; print(u.find_spec("ansible_collections.kubernetes.core").submodule_search_locations[0])')"
ln -s "$core" "$work/deps/ansible_collections/kubernetes/core"
log="$work/importer.log"
status=0
(
  cd "$work"  # the importer writes importer_result.json into the current directory
  env -u ANSIBLE_COLLECTIONS_PATH -u ANSIBLE_COLLECTIONS_PATHS \
    PATH="$venv/bin:$PATH" PYTHONPATH="$work/deps" HOME="$work" \
    GALAXY_IMPORTER_CONFIG="$here/galaxy-importer.cfg" \
    GALAXY_IMPORTER_TMP_ROOT_DIR="$tmp" GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP="$tmp/ansible" \
    ANSIBLE_LOCAL_TEMP="$tmp/ansible" GIT_CEILING_DIRECTORIES="$repo" \
    "$venv/bin/python" -m galaxy_importer.main "$tarball"
) > "$log" 2>&1 || status=$?
cat "$log"
# INFO lines carry no prefix; everything else (WARNING:, ERROR:, ansible-lint's findings, tracebacks) is a
# message the importer reports about the collection.
info='^(Importing with galaxy-importer [0-9.]+|Getting doc strings via ansible-doc|Finding content inside collection|Loading [a-z_]+ [A-Za-z0-9_.-]+|Linting collection via ansible-lint [0-9.]+\.\.\.|\.\.\.ansible-lint run complete|Collection loading complete|Importer processing completed successfully)$'
problems="$(grep -Ev "$info" "$log" || true)"
if [ "$status" -ne 0 ] || [ -n "$problems" ] || ! grep -q '^Importer processing completed successfully$' "$log"; then
  echo >&2
  echo "galaxy-import: FAILED (exit $status); what the importer reported:" >&2
  printf '%s\n' "${problems:-no success line}" >&2
  exit 1
fi
echo "galaxy-import: $(basename "$tarball") imports cleanly (ansible-doc, ansible-lint, galaxy.yml, READMEs)"
