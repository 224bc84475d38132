#!/usr/bin/env bash
# can-up.sh — bring SocketCAN interfaces up for vil's can_bridge. Run as root; at boot and on
# hotplug config/udev/99-vil.rules starts config/systemd/vil-can@.service, which runs it per
# interface.
#
#   can-up.sh [-b BITRATE] [-d DBITRATE] [-r RESTART_MS] [-m RMEM_BYTES] [-n] IFACE...
#
#   -b  nominal bitrate [bit/s]            default $VIL_CAN_BITRATE, else 500000
#   -d  CAN FD data bitrate [bit/s]; also switches FD on      default $VIL_CAN_DBITRATE, else none
#   -r  automatic restart after bus-off [ms]                  default $VIL_CAN_RESTART_MS, else 100
#   -m  minimum net.core.rmem_default/rmem_max [bytes]        default $VIL_CAN_RMEM, else 16 MiB
#   -n  print what would be done, change nothing
# Per interface, VIL_CAN_BITRATE_<iface> and VIL_CAN_DBITRATE_<iface> win over the defaults
# (e.g. VIL_CAN_BITRATE_can1=250000).
#
# Receive buffers: the socketcan addon cannot set SO_RCVBUF, so every CAN socket gets
# net.core.rmem_default. At Linux's default 212,992 bytes a 10,000-frame burst lost more than
# 6,500 frames in our measurements (a UML VM, test/canvm/burst.ts); at 8 MiB none. This raises
# rmem_default and rmem_max to at least 16 MiB (never lowers them); for every boot without this
# script, put the two sysctls into /etc/sysctl.d/.
#
# An interface already up at the wanted bitrates is left as it is, so restarting vil never bounces
# the bus. Virtual interfaces (vcan, vxcan) have no bitrate: they are only brought up.
# Exit: 0 every interface up; 1 one or more missing or failed (the others are still done); 2 usage.
set -u
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

usage() {
  sed -n '2,/^# Exit:/s/^# \{0,1\}//p' "$0" >&2
  exit 2
}

bitrate=${VIL_CAN_BITRATE:-500000}
dbitrate=${VIL_CAN_DBITRATE:-}
restart_ms=${VIL_CAN_RESTART_MS:-100}
rmem=${VIL_CAN_RMEM:-16777216}
dry=
while getopts 'b:d:r:m:nh' opt; do
  case $opt in
    b) bitrate=$OPTARG ;;
    d) dbitrate=$OPTARG ;;
    r) restart_ms=$OPTARG ;;
    m) rmem=$OPTARG ;;
    n) dry=1 ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || usage
for v in "$bitrate" "$restart_ms" "$rmem" ${dbitrate:+"$dbitrate"}; do
  case $v in '' | *[!0-9]*) echo "can-up: \"$v\" is not a whole number" >&2; usage ;; esac
done

if [ -z "$dry" ] && [ "$(id -u)" != 0 ]; then
  echo "can-up: needs root (ip link, sysctl). Fix: sudo $0 $*" >&2
  exit 2
fi

# Runs a command, or prints it with -n.
run() {
  if [ -n "$dry" ]; then
    echo "+ $*"
  else
    "$@"
  fi
}

rc=0

# ---- socket receive buffers
for key in rmem_max rmem_default; do
  file=/proc/sys/net/core/$key
  now=$(cat "$file" 2>/dev/null) || { echo "can-up: cannot read $file" >&2; rc=1; continue; }
  if [ "$now" -lt "$rmem" ]; then
    if [ -n "$dry" ]; then
      echo "+ sysctl -w net.core.$key=$rmem   # now $now"
    elif echo "$rmem" >"$file"; then
      echo "can-up: net.core.$key $now -> $rmem"
    else
      echo "can-up: could not raise net.core.$key to $rmem" >&2
      rc=1
    fi
  fi
done

# ---- interfaces
for iface in "$@"; do
  case $iface in
    '' | *[!A-Za-z0-9_.-]* | ????????????????*) echo "can-up: \"$iface\" is not an interface name" >&2; rc=1; continue ;;
  esac
  if ! details=$(ip -details link show dev "$iface" 2>/dev/null); then
    echo "can-up: no interface $iface. Fix: plug in the CAN adapter and check its driver (dmesg | tail; ip -br link lists the interfaces)" >&2
    rc=1
    continue
  fi
  if ! grep -q 'link/can' <<<"$details"; then
    echo "can-up: $iface is not a CAN interface ($(sed -n 2p <<<"$details" | awk '{print $1}'))" >&2
    rc=1
    continue
  fi
  up=
  head -n 1 <<<"$details" | grep -q '[<,]UP[,>]' && up=1

  if grep -Eq '^[[:space:]]+(vcan|vxcan)([[:space:]]|$)' <<<"$details"; then
    # Virtual: no bit timing.
    if [ -z "$up" ]; then
      run ip link set dev "$iface" up || { echo "can-up: $iface did not come up" >&2; rc=1; continue; }
    fi
    echo "can-up: $iface (virtual) up"
    continue
  fi

  # Per-interface overrides: VIL_CAN_BITRATE_<iface>, VIL_CAN_DBITRATE_<iface>.
  var=${iface//[.-]/_}
  b=$bitrate
  d=$dbitrate
  eval "b=\${VIL_CAN_BITRATE_${var}:-\$b}"
  eval "d=\${VIL_CAN_DBITRATE_${var}:-\$d}"

  cur_b=$(sed -n 's/^[[:space:]]*bitrate \([0-9]*\).*/\1/p' <<<"$details" | head -n 1)
  cur_d=$(sed -n 's/^[[:space:]]*dbitrate \([0-9]*\).*/\1/p' <<<"$details" | head -n 1)
  # restart-ms is not compared: some controllers cannot restart by themselves (see below).
  if [ -n "$up" ] && [ "$cur_b" = "$b" ] && [ "${cur_d:-}" = "$d" ]; then
    echo "can-up: $iface already up at $b bit/s${d:+, data $d bit/s}"
    continue
  fi

  if [ -n "$d" ]; then timing=(bitrate "$b" dbitrate "$d" fd on); else timing=(bitrate "$b" fd off); fi
  # Bit timing can only change while the interface is down.
  if [ -n "$up" ]; then
    run ip link set dev "$iface" down || { echo "can-up: could not take $iface down" >&2; rc=1; continue; }
  fi
  restart="restart-ms $restart_ms"
  if [ -n "$dry" ]; then
    run ip link set dev "$iface" type can "${timing[@]}" restart-ms "$restart_ms"
  elif ! err=$(ip link set dev "$iface" type can "${timing[@]}" restart-ms "$restart_ms" 2>&1); then
    # Controllers without a restart of their own (slcan, ...) refuse restart-ms: then run without
    # it; after a bus-off the interface must be restarted by hand (ip link set IFACE type can restart).
    if [[ $err == *estart* ]] && ip link set dev "$iface" type can "${timing[@]}" 2>/dev/null; then
      echo "can-up: $iface cannot restart itself after bus-off ($err); configured without restart-ms" >&2
      restart="no automatic restart"
    else
      echo "can-up: $iface refused ${timing[*]} restart-ms $restart_ms: $err (a rate the controller cannot do? FD on a classic controller?)" >&2
      # It was running: bring it back with the timing it had.
      [ -n "$up" ] && ip link set dev "$iface" up
      rc=1
      continue
    fi
  fi
  if ! run ip link set dev "$iface" up; then
    echo "can-up: $iface did not come up" >&2
    rc=1
    continue
  fi
  echo "can-up: $iface ${dry:+would be }up at $b bit/s${d:+, data $d bit/s}, $restart"
done
exit $rc
