#!/usr/bin/env bash
# npm run mutate -- <group> [more groups]: StrykerJS per group (scripts/mutation-groups.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in -h|--help) echo "Usage: npm run mutate -- <group> [group...]: StrykerJS over one group of modules against its direct tests (scripts/mutation-groups.mjs lists the groups)"; exit 0;; esac
[ $# -gt 0 ] || { echo "usage: npm run mutate -- <group> [group...]" >&2; node -e 'import("./scripts/mutation-groups.mjs").then(m=>console.error("groups: "+Object.keys(m.GROUPS).join(", ")))'; exit 64; }
for group in "$@"; do MUTATION_GROUP="$group" npx stryker run stryker.config.mjs; done
