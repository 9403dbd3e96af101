#!/bin/sh
# run.sh TARGET SECONDS: fuzzes one libFuzzer target for a while.
#
#   tests/fuzz/run.sh frame 60
#   tests/fuzz/run.sh config 60
#   tests/fuzz/run.sh proxy 60
#
# Builds the target first (clang, -DCRM_FUZZ=ON) in $CRM_FUZZ_BUILD
# (default: build-fuzz in the checkout). The checked-in seeds in
# corpus/TARGET are read, never written: new inputs go to a scratch corpus
# under $CRM_FUZZ_WORK (default: a temporary directory, removed at the end).
# A crash, leak or timeout leaves its input in $CRM_FUZZ_ARTIFACTS (default:
# fuzz-artifacts in the build directory), prints how to replay it and exits
# non-zero. Set CRM_FUZZ_JOBS to fuzz with several processes.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 frame|config|proxy SECONDS" >&2
	exit 2
fi
target=$1
seconds=$2
case $target in
frame) max_len=65536 ;;
config) max_len=4096 ;;
proxy) max_len=1024 ;;
*)
	echo "$0: unknown target '$target' (frame, config, proxy)" >&2
	exit 2
	;;
esac
case $seconds in
'' | *[!0-9]*)
	echo "$0: SECONDS must be a whole number" >&2
	exit 2
	;;
esac

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${CRM_FUZZ_BUILD:-$root/build-fuzz}
artifacts=${CRM_FUZZ_ARTIFACTS:-$build/fuzz-artifacts}
jobs=${CRM_FUZZ_JOBS:-1}

if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S "$root" -B "$build" -G Ninja -DCRM_FUZZ=ON -DCMAKE_C_COMPILER=clang \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
ninja -C "$build" "fuzz_$target" >/dev/null

if [ -n "${CRM_FUZZ_WORK:-}" ]; then
	work=$CRM_FUZZ_WORK
	mkdir -p "$work"
else
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$artifacts" "$work/corpus"

echo "fuzzing $target for ${seconds}s (seeds: $here/corpus/$target)"
# -jobs runs separate processes that log to fuzz-N.log in the current
# directory: only when asked for, and from the scratch directory.
set --
if [ "$jobs" -gt 1 ]; then
	set -- -jobs="$jobs" -workers="$jobs"
fi
status=0
(cd "$work" && "$build/tests/fuzz/fuzz_$target" "$@" \
	-max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$artifacts/$target-" \
	"$work/corpus" "$here/corpus/$target") || status=$?
if [ "$status" -ne 0 ]; then
	echo "fuzz_$target failed (exit $status); inputs in $artifacts:" >&2
	ls -l "$artifacts" >&2 || true
	echo "replay one with: $build/tests/fuzz/fuzz_$target FILE" >&2
	exit 1
fi
echo "fuzz_$target: no failure in ${seconds}s"
