#!/usr/bin/env bash
# The whole secure production flow of the seed tutorial (TU0823) on one machine, with the embedded
# software HSMs and simulated boards in a temporary folder. The OE and the CM are separate sites:
# each has its own SPPS_HOME, and only the tutorial's files cross between them.
# Ends with the OE's post-production report. Needs only the .NET SDK.
#   ./demo.sh            keep going in a fresh temp folder (printed at the start)
#   KEEP=1 ./demo.sh     keep the folder afterwards
#   OPENOCD=1 ./demo.sh  run the production step through a real OpenOCD (apt-get install openocd):
#                        each board is served over remote_bitbang (spps-station sim serve-jtag) and
#                        programmed with --programmer openocd:board.cfg (docs/programmers.md)
set -euo pipefail
repo=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d -t spps-demo-XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
echo "== Publishing spps and spps-station (Release)"
dotnet publish "$repo/station/Spps.Station/Spps.Station.csproj" -c Release -o "$work/bin" -nologo -v quiet -clp:ErrorsOnly
dotnet publish "$repo/cli/Spps.Cli/Spps.Cli.csproj" -c Release -o "$work/bin" -nologo -v quiet -clp:ErrorsOnly
spps() { (cd "$work/oe" && SPPS_HOME="$work/oe-home" dotnet "$work/bin/spps.dll" "$@"); }
station() { (cd "$work/cm" && SPPS_HOME="$work/cm-home" dotnet "$work/bin/spps-station.dll" "$@"); }
step() { printf '\n== %s\n' "$*"; }
send() { cp "$work/$1/$3" "$work/$2/$3"; echo "   ($3: $1 -> $2)"; }

mkdir -p "$work/oe" "$work/cm"
# The simulated silicon vendor is a third party: its home is in neither site (docs/device.md).
export SPPS_SIM_VENDOR="$work/sim-vendor"
cp "$repo"/templates/tutorial/oe/*.tcl "$work/oe/"
cp "$repo"/templates/tutorial/cm/*.tcl "$work/cm/"
echo "Sites: OE in $work/oe, CM in $work/cm"

step "3.1 Designer hands off a JDC (a random 1 MiB fabric and one eNVM client)"
head -c 1048576 /dev/urandom > "$work/oe/fabric.bin"
printf ':10000000000102030405060708090A0B0C0D0E0F78\n:00000001FF\n' > "$work/oe/client.hex"
spps jdc create --design hello_world_sb --device M2S090TS --fabric fabric.bin --envm-client MyClient1=client.hex -o hello_world_sb.jdc
step "3.2 HSM parameters (OE, then CM)";            spps script JobManager_Set_HSM_Parameters.tcl; station script FlashProExpress_Set_HSM_Parameters.tcl
step "3.3 Keyset";                                  spps script JobManager_Create_Keyset.tcl
step "3.4-3.5 Project, programming data, bitstream, job"; spps script JobManager_Create_Project.tcl
step "3.5.1 HSM task and tickets";                  spps script JobManager_Create_HSM_Task.tcl
step "3.6 Request";                                 spps script JobManager_Create_HSM_Job_Request.tcl; send oe cm MyProgJobRequest.req
step "3.6 CM answers with its M-HSM";               station script FlashProExpress_Process_Job_Request.tcl; send cm oe MyProgJobReply.rep
step "3.6 Reply";                                   spps script JobManager_Import_Job_Reply.tcl
step "3.7 Export the job";                          spps script JobManager_Export_HSM_Task.tcl; send oe cm MyProgJob.job
step "3.8 CM loads the job into its M-HSM";         station script FlashProExpress_Create_Job_Project.tcl
step "3.8 Three blank boards";                      station sim create-boards --dir boards --count 3
programmer() { prog="sim:board$1"; }
if [ "${OPENOCD:-0}" = 1 ]; then
  command -v openocd >/dev/null || { echo "OPENOCD=1 needs openocd (apt-get install openocd)" >&2; exit 1; }
  serve_pid=""
  trap '[ -z "$serve_pid" ] || kill $serve_pid 2>/dev/null; [ "${KEEP:-0}" = 1 ] || rm -rf "$work"' EXIT
  # One board at a time behind remote_bitbang; OpenOCD started by the station with board.cfg.
  programmer() {
    [ -z "$serve_pid" ] || { kill $serve_pid; wait $serve_pid 2>/dev/null || true; }
    (cd "$work/cm" && SPPS_HOME="$work/cm-home" exec dotnet "$work/bin/spps-station.dll" sim serve-jtag --port 0 --board "board$1/board-00$1.json" > "serve$1.log" 2>&1) &
    serve_pid=$!
    until grep -q "serving on" "$work/cm/serve$1.log" 2>/dev/null; do sleep 0.2; done
    port=$(sed -n 's/.*serving on 127.0.0.1:\([0-9]*\).*/\1/p' "$work/cm/serve$1.log")
    printf 'adapter driver remote_bitbang\nremote_bitbang host 127.0.0.1\nremote_bitbang port %s\ntransport select jtag\njtag newtap board tap -irlen 8 -ircapture 0x01 -irmask 0x03 -expected-id 0x15350b4b\n' "$port" > "$work/cm/board.cfg"
    prog="openocd:board.cfg"
  }
fi
for n in 1 2 3; do
  mkdir -p "$work/cm/board$n"; mv "$work/cm/boards/board-00$n.json" "$work/cm/board$n/"
  step "3.8 PROGRAM board $n"
  programmer $n; echo "   (programmer $prog)"
  if (cd "$work/cm" && SPPS_PROGRAMMER=$prog SPPS_HOME="$work/cm-home" dotnet "$work/bin/spps-station.dll" script FlashProExpress_Run_Program.tcl); then :
  else echo "   -> board $n refused, as it must be: the ticket allows 2 devices"; fi
  station script FlashProExpress_Export_Job_Status.tcl | grep -E "^(Action|Number)"
done
[ "${OPENOCD:-0}" != 1 ] || { kill $serve_pid; wait $serve_pid 2>/dev/null || true; serve_pid=""; }
step "3.8 VERIFY and ERASE on board 1"
station set-programming-action --project MyProgJob/MyProgJob.pro --action VERIFY
station run-selected-actions --project MyProgJob/MyProgJob.pro --programmer sim:board1
station set-programming-action --project MyProgJob/MyProgJob.pro --action ERASE
station run-selected-actions --project MyProgJob/MyProgJob.pro --programmer sim:board1
station script FlashProExpress_Export_Job_Status.tcl | grep -E "^(Action|Number)"; send cm oe MyJobStatus
step "3.8 OE checks the intermediate status";       spps script JobManager_Check_Job_Status.tcl
step "3.9 CM ends the job";                         station script FlashProExpress_Complete_Job.tcl; send cm oe MyJobStatusEnd
step "3.10 Post-production report (U-HSM validates every CoC and end certifier)"
spps script JobManager_Check_Job_End_Status.tcl
step "Boards";                                      for n in 1 2 3; do station sim inspect --dir board$n; done
