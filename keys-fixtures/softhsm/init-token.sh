#!/bin/sh
# Creates a throw-away SoftHSM2 token store in DIR with one token labelled LABEL.
# PUBLIC, TEST-ONLY: the default PINs below are published; never use this for real keys.
#
# usage: init-token.sh DIR LABEL [SO_PIN] [PIN]
#   then:  eval "$(init-token.sh /tmp/hsm test-token | tail -n 1)"   (or copy the export line)
set -eu

if [ $# -lt 2 ] || [ $# -gt 4 ]; then
    echo "usage: $0 DIR LABEL [SO_PIN] [PIN]" >&2
    exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$1"
dir=$(cd "$1" && pwd)
label=$2
so_pin=${3:-87654321}
pin=${4:-123456}

command -v softhsm2-util >/dev/null 2>&1 || {
    echo "softhsm2-util not found: apt-get install -y softhsm2 opensc" >&2
    exit 1
}

mkdir -p "$dir/tokens"
# '|' as the sed delimiter: DIR may contain '/', but not '|' or '&' (refuse those).
case $dir in *'|'* | *'&'*) echo "DIR must not contain '|' or '&'" >&2; exit 2 ;; esac
sed "s|@TOKENDIR@|$dir/tokens|" "$here/softhsm2.conf.template" >"$dir/softhsm2.conf"

# Without SOFTHSM2_CONF SoftHSM silently uses the system token store.
SOFTHSM2_CONF="$dir/softhsm2.conf" softhsm2-util --init-token --free \
    --label "$label" --so-pin "$so_pin" --pin "$pin" >&2

echo "export SOFTHSM2_CONF=$dir/softhsm2.conf"
