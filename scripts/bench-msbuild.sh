#!/usr/bin/env bash
# Job build through `dotnet build` at 16 and 256 MiB of fabric: throughput of the job target (init_bitstream
# encrypts the whole design) and peak memory of the build process, beside `openssl speed -evp aes-256-gcm`
# measured in the same run (machines here are shared: compare ratios, not absolute numbers).
#
#   scripts/bench-msbuild.sh [SIZES_MIB...]     default: 16 256
#
# Output: one line per size plus the openssl reference; a Markdown table at the end.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ $# -gt 0 ]]; then sizes=("$@"); else sizes=(16 256); fi
work="$(mktemp -d /tmp/spps-bench-msbuild.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1
export NUGET_PACKAGES="$work/nuget-packages" SPPS_HOME="$work/oe-home"
unset SPPS_HSM_PASSPHRASE SPPS_HSM_PASSPHRASE_FILE SPPS_PLUGIN_PATH

echo "# packing Spps.Build into $work/feed" >&2
dotnet pack "$repo/tasks/Spps.Build.Tasks/Spps.Build.Tasks.csproj" -c Release -o "$work/feed" -nologo >"$work/pack.log" 2>&1 || { cat "$work/pack.log"; exit 1; }
version="$(basename "$(ls "$work"/feed/Spps.Build.[0-9]*.nupkg)" .nupkg)"; version="${version#Spps.Build.}"

openssl_rate() {
  # bytes/s of AES-256-GCM on 16 KiB blocks (the largest size openssl speed reports), one core
  openssl speed -evp aes-256-gcm -seconds 3 -bytes 16384 2>/dev/null | awk 'tolower($1) == "aes-256-gcm" { v=$NF; sub(/k$/, "", v); printf "%.0f\n", v * 1000 }'
}

make_project() {
  local dir="$1" mib="$2"
  mkdir -p "$dir/design" "$dir/jobs"
  cat >"$dir/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration><packageSources><add key="bench" value="$work/feed" /></packageSources></configuration>
XML
  cat >"$dir/Bench.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
    <EnableDefaultCompileItems>false</EnableDefaultCompileItems>
    <SppsCreateKeysetIfMissing>true</SppsCreateKeysetIfMissing>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="Spps.Build" Version="$version" PrivateAssets="all" />
    <SppsJdc Include="design/bench.jdc" Fabric="design/fabric.bin" Design="bench" Device="M2S090TS" />
    <SppsJob Include="jobs/bench.json" />
  </ItemGroup>
</Project>
XML
  cat >"$dir/jobs/bench.json" <<JSON
{
  "prog_data": [ { "name": "Data", "jdc": "../design/bench.jdc", "keyset": "../keys/bench.keyset",
                   "bitstreams": [ { "name": "Master", "generate_coc": true } ] } ],
  "job": { "name": "Bench", "devices": [ { "name": "Device" } ],
           "hsm_tasks": [ { "name": "Task", "m_hsm": { "uuid": "10" },
                            "tickets": [ { "name": "Program", "action": "PROGRAM", "max_device": 1000 } ] } ] }
}
JSON
  head -c "$((mib * 1024 * 1024))" /dev/urandom >"$dir/design/fabric.bin"
}

# task_ms BUILD_LOG: the SppsBuildJobs line of -clp:PerformanceSummary (milliseconds)
task_ms() { awk '/Task Performance Summary/ { t=1 } t && /SppsBuildJobs/ { print int($1); exit }' "$1"; }

declare -a rows
ref_before="$(openssl_rate)"
for mib in "${sizes[@]}"; do
  dir="$work/p$mib"; make_project "$dir" "$mib"
  # Restore, the keyset and the JDC (the designer's hand-off) are not part of the measured build.
  (cd "$dir" && dotnet build -c Release -t:Restore\;SppsCreateJdcs\;SppsCreateKeyset -nologo -v:q >"$work/prep$mib.log" 2>&1) || { cat "$work/prep$mib.log"; exit 1; }
  start=$(date +%s.%N)
  (cd "$dir" && /usr/bin/time -v -o "$work/time$mib.txt" dotnet build -c Release --no-restore -m:1 -nologo -clp:PerformanceSummary >"$work/build$mib.log" 2>&1) || { cat "$work/build$mib.log"; exit 1; }
  end=$(date +%s.%N)
  wall=$(echo "$end - $start" | bc)
  ms=$(task_ms "$work/build$mib.log")
  rss_kib=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$work/time$mib.txt")
  # a second build with no change must skip the job target
  (cd "$dir" && dotnet build -c Release --no-restore -m:1 -nologo -v:n >"$work/again$mib.log" 2>&1)
  skipped=$(grep -c 'Skipping target "_SppsBuildJob"' "$work/again$mib.log" || true)
  mbps=$(echo "scale=1; $mib * 1048576 / ($ms / 1000) / 1000000" | bc)
  echo "size ${mib} MiB: SppsBuildJobs ${ms} ms = ${mbps} MB/s; whole dotnet build ${wall}s; peak RSS $((rss_kib / 1024)) MiB; no-change rebuild skipped: $([[ $skipped -ge 1 ]] && echo yes || echo NO)"
  rows+=("| ${mib} MiB | ${ms} | ${mbps} | ${wall} | $((rss_kib / 1024)) | $([[ $skipped -ge 1 ]] && echo yes || echo no) |")
done
ref_after="$(openssl_rate)"
echo "openssl speed -evp aes-256-gcm (16 KiB blocks, 1 core): before $((ref_before / 1000000)) MB/s, after $((ref_after / 1000000)) MB/s"
echo
ref_mbps=$(( (ref_before + ref_after) / 2000000 ))
echo "ratio = task MB/s / openssl MB/s (same run)"
echo "| fabric | SppsBuildJobs ms | MB/s (task) | dotnet build s | peak RSS MiB | rebuild skipped |"
echo "|---|---|---|---|---|---|"
printf '%s\n' "${rows[@]}"
echo "| openssl aes-256-gcm | | ${ref_mbps} | | | |"
