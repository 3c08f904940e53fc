#!/usr/bin/env bash
# Regenerates results.txt: every benchmark, in passes that alternate between toolchains, so
# that a change in the machine's other load falls on both alike; then extra passes of
# BenchmarkGet with BenchmarkGetPaired, and of BenchmarkPage500, alone, whose SDK/floor gaps need
# more samples than this machine's noise leaves significant with 8; then passes of
# BenchmarkDigestPaired alone (sdk-digest against the legacy client, bounded and not, call by
# call). Each block is preceded by a "toolchain:" line, so that
#   go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col toolchain results.txt
# compares the toolchains side by side. About 30 minutes with the defaults.
# Usage: bash bench/measure.sh [toolchain...]   (default: the local go, and go1.27.3)
# PASSES, GET_PASSES, PAGE_PASSES, DIGEST_PASSES set the pass counts; OUT the output file.
set -euo pipefail
cd "$(dirname "$0")"
PASSES=${PASSES:-8} GET_PASSES=${GET_PASSES:-20} PAGE_PASSES=${PAGE_PASSES:-20} DIGEST_PASSES=${DIGEST_PASSES:-8}
toolchains=("$@")
[ ${#toolchains[@]} -gt 0 ] || toolchains=(local go1.27.3)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for tc in "${toolchains[@]}"; do
	GOTOOLCHAIN=$tc go test -c -o "$tmp/$tc.test" .
done
out=${OUT:-results.txt}
: >"$out"
pass() { # toolchain, bench pattern
	echo "toolchain: $(GOTOOLCHAIN=$1 go env GOVERSION)" >>"$out"
	"$tmp/$1.test" -test.run '^$' -test.bench "$2" -test.benchmem -test.count 1 | grep -v '^\(PASS\|ok\)' >>"$out"
}
for _ in $(seq "$PASSES"); do
	for tc in "${toolchains[@]}"; do pass "$tc" .; done
done
for _ in $(seq "$GET_PASSES"); do
	for tc in "${toolchains[@]}"; do pass "$tc" '^BenchmarkGet(Paired)?$'; done
done
for _ in $(seq "$PAGE_PASSES"); do
	for tc in "${toolchains[@]}"; do pass "$tc" '^BenchmarkPage500$'; done
done
for _ in $(seq "$DIGEST_PASSES"); do
	for tc in "${toolchains[@]}"; do pass "$tc" '^BenchmarkDigestPaired$'; done
done
