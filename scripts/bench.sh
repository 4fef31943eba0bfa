#!/bin/sh
# Runs the DESIGN.md §7 benchmarks (tests/Spps.Benchmarks) in Release and writes the results into
# docs/benchmarks.md (between the spps-bench markers; the text around them is kept).
#   scripts/bench.sh                 full run (about 10-15 minutes on 2 cores)
#   scripts/bench.sh --quick         fewer, smaller trials (about 3 minutes), for checking the harness
#   scripts/bench.sh --only bitstream,software   subsets: refs, bitstream, software, softhsm
#   scripts/bench.sh --out -         print the tables instead of writing docs/benchmarks.md
#   scripts/bench.sh --jtag [--quick]  only the programmer benchmarks (needs openocd): their own section of docs/benchmarks.md
# Builds into $SPPS_BUILD_ROOT (default /tmp/build-bench) so it never collides with other builds.
# The SoftHSM2 part needs softhsm2 (apt-get install -y softhsm2 opensc); without it, it is skipped.
# The benchmark makes its own SoftHSM2 token and starts the PKCS#11 part in a child process with
# SOFTHSM2_CONF set (the C library reads the variable from the real process environment).
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
export SPPS_BUILD_ROOT="${SPPS_BUILD_ROOT:-/tmp/build-bench}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
out="$root/docs/benchmarks.md"
args=""
verb=run
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --jtag) verb=jtag; shift ;;
    *) args="$args $1"; shift ;;
  esac
done
dotnet build "$root/tests/Spps.Benchmarks/Spps.Benchmarks.csproj" -c Release -nologo -v quiet
bench="$SPPS_BUILD_ROOT/bin/Spps.Benchmarks/release/spps-bench"
[ -x "$bench" ] || { echo "bench.sh: $bench was not built" >&2; exit 1; }
if [ "$out" = "-" ]; then
  # shellcheck disable=SC2086
  exec "$bench" $verb $args
fi
# shellcheck disable=SC2086
exec "$bench" $verb --out "$out" $args
