#!/usr/bin/env bash
# Keeps the bench module from rotting: vet it, run TestSetup and TestDigestColdBurst (untimed
# checks of what the benchmarks rely on, and of the cold-burst bound) and every benchmark once.
# Bounded: about 10-20 s on 2 cores, most of it the 10,000-call concurrency ops. Loopback
# only. Call it from .ci/run as `bash bench/ci.sh`.
set -euo pipefail
cd "$(dirname "$0")"
go vet ./...
go test -count=1 -bench . -benchtime=1x ./...
