#!/usr/bin/env bash
# Starts a throwaway single-node Ceph cluster on loopback (one mon, one memstore OSD, radosgw with
# the beast frontend) and an S3 user, for the RGW tier of the S3 tests. Needs root and the Debian
# packages radosgw ceph-mon ceph-osd. Takes ~13 s. Objects live in RAM (memstore).
#
#   scripts/rgw-start.sh            # prints the state directory on the last line
#   RGW_DIR=/tmp/rgw RGW_PORT=7480 scripts/rgw-start.sh
#
# Writes "$RGW_DIR/env" with S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY (test-only keys).
# Stop with scripts/rgw-stop.sh "$RGW_DIR". Recipe and pitfalls: shared/reference/offline-test-infra.md §1.3.
# Essential: cluster addr/network on 127.0.0.1 (else the OSD binds 0.0.0.0) and cephx on (with
# auth none radosgw hangs in get_initial_auth_request until a 300 s timeout).
set -euo pipefail
D="${RGW_DIR:-$(mktemp -d -t digitflow-rgw.XXXXXX)}"; export RGW_DIR="$D"
PORT="${RGW_PORT:-7480}"
for tool in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool curl; do
  command -v "$tool" >/dev/null || { echo "rgw-start: $tool not found (apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd)" >&2; exit 1; }
done
mkdir -p "$D"/{mon.a,osd.0,run,log}
FSID=$(cat /proc/sys/kernel/random/uuid)
cat > "$D/ceph.conf" <<CONF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:3300
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
cluster network = 127.0.0.0/8
ms bind ipv6 = false
auth allow insecure global id reclaim = false
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd crush chooseleaf type = 0
mon max pg per osd = 1000
run dir = $D/run
log file = $D/log/\$name.log
admin socket = $D/run/\$name.asok
pid file = $D/run/\$name.pid
keyring = $D/\$name.keyring
mon data = $D/\$name
osd data = $D/\$name
osd objectstore = memstore
memstore device bytes = 6442450944
client mount timeout = 30
mon data avail warn = 1
mon data avail crit = 0
[osd]
keyring = $D/\$name/keyring
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT
rgw data = $D/rgw
CONF
C="-c $D/ceph.conf"
ceph-authtool --create-keyring "$D/mon.a.keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool --create-keyring "$D/client.admin.keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool "$D/mon.a.keyring" --import-keyring "$D/client.admin.keyring" >/dev/null
monmaptool --create --fsid "$FSID" --addv a '[v2:127.0.0.1:3300]' "$D/monmap" >/dev/null
ceph-mon $C --mkfs -i a --monmap "$D/monmap" --keyring "$D/mon.a.keyring"
ceph-mon $C -i a
OSDUUID=$(cat /proc/sys/kernel/random/uuid)
OSDID=$(timeout 60 ceph $C osd create "$OSDUUID")
ceph-authtool --create-keyring "$D/osd.$OSDID/keyring" --gen-key -n "osd.$OSDID" >/dev/null
timeout 60 ceph $C auth add "osd.$OSDID" osd 'allow *' mon 'allow profile osd' -i "$D/osd.$OSDID/keyring"
ceph-osd $C -i "$OSDID" --mkfs --osd-uuid "$OSDUUID" >"$D/log/osd-mkfs.out" 2>&1
timeout 60 ceph $C osd crush add "osd.$OSDID" 1.0 host=localhost root=default >/dev/null
ceph-osd $C -i "$OSDID"
timeout 60 ceph $C auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' -o "$D/client.rgw.a.keyring"
timeout 120 radosgw $C -n client.rgw.a
for i in $(seq 1 300); do curl -s -o /dev/null http://127.0.0.1:$PORT/ && break; sleep 0.2; done
timeout 60 radosgw-admin $C user create --uid=test --display-name=test --access-key=TESTACCESSKEY --secret=TESTSECRETKEY >/dev/null
cat > "$D/env" <<ENV
S3_ENDPOINT=http://127.0.0.1:$PORT
S3_ACCESS_KEY_ID=TESTACCESSKEY
S3_SECRET_ACCESS_KEY=TESTSECRETKEY
ENV
echo "rgw ready on http://127.0.0.1:$PORT (state in $D)" >&2
echo "$D"
