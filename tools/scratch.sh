# tools/scratch.sh - sourced by the checks that build the distribution in
# a scratch copy (asan-test.sh, fallback-test.sh): copies every file
# MANIFEST lists into a new temporary directory, removed on exit, and
# changes into it.  Run from the top of the distribution.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
while read -r f _; do
    case "$f" in ''|'#'*) continue ;; esac
    mkdir -p "$work/$(dirname "$f")"
    cp -p "$f" "$work/$f"
done < MANIFEST
cd "$work"
