#!/bin/sh
# Creates a SoftHSM2 token in its own folder and prints how to use it with SPPS.
#   scripts/softhsm/make-token.sh DIR LABEL
# Reads the user PIN from SPPS_PKCS11_PIN and the SO PIN from SPPS_PKCS11_SO_PIN rather than from this
# script's arguments. softhsm2-util itself only takes PINs as arguments, so they are briefly visible in the
# process list: use this for development tokens only. Writes the user PIN to DIR/LABEL.pin (mode 0600).
set -eu
[ $# -eq 2 ] || { echo "usage: $0 DIR LABEL   (PINs from SPPS_PKCS11_PIN and SPPS_PKCS11_SO_PIN)" >&2; exit 2; }
dir=$1 label=$2
: "${SPPS_PKCS11_PIN:?set SPPS_PKCS11_PIN to the user PIN}"
: "${SPPS_PKCS11_SO_PIN:?set SPPS_PKCS11_SO_PIN to the security officer PIN}"
module=""
for candidate in /usr/lib/softhsm/libsofthsm2.so /usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so /usr/local/lib/softhsm/libsofthsm2.so; do
  [ -f "$candidate" ] && { module=$candidate; break; }
done
[ -n "$module" ] || { echo "libsofthsm2.so not found: apt-get install -y softhsm2 opensc" >&2; exit 1; }
command -v softhsm2-util >/dev/null || { echo "softhsm2-util not found: apt-get install -y softhsm2" >&2; exit 1; }

mkdir -p "$dir/tokens"
dir=$(cd "$dir" && pwd)
conf="$dir/softhsm2.conf"
[ -f "$conf" ] || printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n' "$dir" > "$conf"
export SOFTHSM2_CONF="$conf"
softhsm2-util --init-token --free --label "$label" --so-pin "$SPPS_PKCS11_SO_PIN" --pin "$SPPS_PKCS11_PIN" >/dev/null
umask 077
printf '%s\n' "$SPPS_PKCS11_PIN" > "$dir/$label.pin"
echo "export SOFTHSM2_CONF=$conf"
echo "pkcs11:token=$label?module-path=$module&pin-source=file:$dir/$label.pin"
