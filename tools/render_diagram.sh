#!/usr/bin/env bash
# `make diagram`: render docs/architecture.dot to docs/architecture.svg with Graphviz, installing Graphviz
# from Debian's packages when `dot` is missing. The SVG is checked in (README, Galaxy and the docsite show
# it); its first comment holds the sha256 of the source it was rendered from, which
# tests/packaging/test_diagram.py compares with the .dot, so a stale picture fails `make test` without
# Graphviz being installed there.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
src="$repo/docs/architecture.dot"
out="$repo/docs/architecture.svg"
if ! command -v dot >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null
  else
    echo "tools/render_diagram.sh: needs Graphviz's dot (Debian/Ubuntu: apt-get install graphviz)" >&2
    exit 1
  fi
fi
sum="$(sha256sum "$src" | cut -d' ' -f1)"
dot -Tsvg "$src" | awk -v sum="$sum" 'NR == 1 { print; print "<!-- rendered from docs/architecture.dot sha256:" sum " by make diagram -->"; next } { print }' > "$out.tmp"
mv "$out.tmp" "$out"
echo "rendered docs/architecture.svg"
