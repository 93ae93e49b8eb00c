#!/usr/bin/env bash
# Stops the cluster started by scripts/rgw-start.sh and removes its state directory.
#   scripts/rgw-stop.sh "$RGW_DIR"
set -u
D="${1:-${RGW_DIR:-}}"
if [ -z "$D" ] || [ ! -f "$D/ceph.conf" ]; then echo "rgw-stop: '$D' is not an rgw-start state directory" >&2; exit 1; fi
for n in client.rgw.a osd.0 mon.a; do
  if [ -f "$D/run/$n.pid" ]; then
    p=$(cat "$D/run/$n.pid"); kill "$p" 2>/dev/null
    for i in $(seq 1 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
  fi
done
rm -rf "$D"
