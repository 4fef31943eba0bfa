#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine, then runs every test in the solution.
# (SoftHSM2 and OpenSC's pkcs11-tool for the PKCS#11 tests, strace for the durability test, chromium and
# chromium-driver for the web UI's, OpenOCD for the programmer tests, PostgreSQL for the M-HSM service tests;
# apt-get needs root or sudo.)
set -euo pipefail
cd "$(dirname "$0")"
missing=()
command -v softhsm2-util >/dev/null 2>&1 || missing+=(softhsm2)
command -v pkcs11-tool >/dev/null 2>&1 || missing+=(opensc)
# The web UI's tests drive Debian's chromium through Debian's chromedriver (nothing downloads a browser).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
command -v strace >/dev/null 2>&1 || missing+=(strace)
command -v openocd >/dev/null 2>&1 || missing+=(openocd)
# The service's peer check is attacked with curl speaking gRPC over the Unix socket, as another user.
command -v curl >/dev/null 2>&1 || missing+=(curl)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  echo "Installing ${missing[*]} ..."
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test Spps.Build.sln -c Release "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over all test projects, e.g. "412 passed, 0 failed".
awk -F'[:,]' '/^(Passed|Failed)!/ { for (i = 1; i < NF; i++) { if ($i ~ /Failed$/) f += $(i+1); if ($i ~ /Passed$/) p += $(i+1) } }
              END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
