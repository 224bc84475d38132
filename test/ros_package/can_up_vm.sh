#!/usr/bin/env bash
# Runs inside scripts/canvm.sh (a UML VM with a real kernel CAN stack; started by
# can_up.test.ts): scripts/can-up.sh against a real CAN driver, slcan (Linux's serial-line CAN,
# can-dev based: bit timing through `ip link`), attached with can-utils' slcand to one end of a
# socat pty pair. The other end is the "adapter": it receives the slcan commands the kernel sends
# (S<n> bitrate code, O open, C close), which show what reached the device. Prints one
# "step: ..." block per step; the test reads them.
set -u
can_up=$1
modprobe slcan || exit 3
cd /tmp
socat pty,raw,echo=0,link=/tmp/slc pty,raw,echo=0,link=/tmp/adapter &
for _ in $(seq 100); do [ -e /tmp/slc ] && [ -e /tmp/adapter ] && break; sleep 0.05; done
cat /tmp/adapter >/tmp/adapter.log &
tty=$(readlink /tmp/slc)
slcand -F "${tty#/dev/}" slcan0 &
for _ in $(seq 100); do ip link show dev slcan0 >/dev/null 2>&1 && break; sleep 0.05; done

adapter() { sleep 0.3; tr -d '\0' </tmp/adapter.log | tr '\r' ' '; : >/tmp/adapter.log; }
step() {
  echo "step: $1"
  shift
  "$@" >/tmp/out 2>&1
  echo "rc: $?"
  sed 's/^/out: /' /tmp/out
  echo "adapter: $(adapter)"
  echo "link: $(ip -details link show dev slcan0 | tr -s ' \t\n' ' ')"
  echo "rmem: $(cat /proc/sys/net/core/rmem_default) $(cat /proc/sys/net/core/rmem_max)"
}

ip link set dev vcan1 down
step first bash "$can_up" slcan0 vcan1 nosuch0
step again bash "$can_up" slcan0
step rate env VIL_CAN_BITRATE_slcan0=250000 bash "$can_up" slcan0
step fd bash "$can_up" -b 250000 -d 2000000 slcan0
step dry bash "$can_up" -n -b 125000 slcan0
step notcan bash "$can_up" lo
echo "vcan1: $(ip link show dev vcan1 | head -n 1)"
