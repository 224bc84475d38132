#!/usr/bin/env bash
# canvm.sh CMD [ARG...] — run CMD inside a throwaway User-mode Linux VM that has a real Linux CAN
# stack, so SocketCAN code is tested against the kernel on machines whose own kernel has no CAN.
#
# The VM is Debian's user-mode-linux (Linux 6.1 run as an ordinary process: no KVM, no root-only
# host modules). Inside it: vcan0 and vcan1 up as CAN FD interfaces (MTU 72), and
# net.core.rmem_default/rmem_max raised, because the socketcan addon cannot set SO_RCVBUF and the
# stock 212,992-byte socket buffer drops a burst. CMD runs as root in $PWD with the caller's
# environment and stdin from /dev/null; its stdout and stderr are streamed (as pipes, never a
# tty, so programs behave as they do on the host) and this script exits with CMD's exit code.
#
# Files: the host's / is the guest's / as a copy-on-write overlay (guest writes are discarded);
# $PWD and the directories in VIL_CANVM_RW (space-separated) are the real host directories,
# writable.
#
# Environment (all optional):
#   VIL_CANVM_MEM      guest memory (default 512M)
#   VIL_CANVM_RMEM     net.core.rmem_default and rmem_max in the guest, bytes (default 16777216)
#   VIL_CANVM_TIMEOUT  seconds before the VM is killed (default 0: no limit)
#   VIL_CANVM_RW       extra writable host directories
#   VIL_CANVM_CACHE    where the ptrace shim is built (default ${XDG_CACHE_HOME:-~/.cache}/vil-canvm)
# Exit: CMD's code; 124 the VM hit VIL_CANVM_TIMEOUT; 125 the VM failed (its kernel log is
# printed); 2 usage or a missing tool (scripts/ensure-tools.sh installs them).
# Several VMs may run at once: each has its own temporary directory and UML instance.

if [ -z "${VIL_CANVM_GUEST:-}" ] || [ $$ != 1 ]; then
  # ------------------------------------------------------------------------------ host side
  set -u
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
  [ $# -gt 0 ] || { echo "usage: $0 command [args...]" >&2; exit 2; }
  uml=$(PATH="$PATH:/usr/bin:/usr/local/bin" command -v linux.uml) ||
    { echo "canvm: linux.uml not found; run scripts/ensure-tools.sh (apt: user-mode-linux can-utils kmod iproute2)" >&2; exit 2; }
  [ -d /usr/lib/uml/modules ] || { echo "canvm: /usr/lib/uml/modules missing (package user-mode-linux)" >&2; exit 2; }

  # Debian 12's UML dies on hosts with AMX (its fixed XSAVE buffer is smaller than the host's);
  # the shim pads its ptrace calls. Built once per source version; harmless on other hosts.
  shim=
  if [ "$(uname -m)" = x86_64 ] && command -v cc >/dev/null; then
    cache=${VIL_CANVM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/vil-canvm}
    src="$here/canvm-xstate-shim.c"
    shim="$cache/xstate-shim-$(sha1sum "$src" | cut -c1-12).so"
    if [ ! -f "$shim" ]; then
      mkdir -p "$cache" && tmp=$(mktemp "$cache/.build.XXXXXX") &&
        cc -O2 -shared -fPIC -o "$tmp" "$src" -ldl && mv -f "$tmp" "$shim" ||
        { echo "canvm: building $src failed" >&2; rm -f "$tmp"; exit 2; }
    fi
  fi

  T=$(mktemp -d "${TMPDIR:-/tmp}/vil-canvm.XXXXXX") || exit 2
  T=$(cd "$T" && pwd -P)
  vm=
  cleanup() {
    if [ -n "$vm" ]; then kill -KILL -- "-$vm" "$vm" 2>/dev/null; wait "$vm" 2>/dev/null; fi
    [ -n "${watchdog:-}" ] && kill "$watchdog" 2>/dev/null
    rm -rf "$T"
  }
  trap cleanup EXIT
  trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 143' TERM

  printf '%s\0' "$PWD" "$@" >"$T/cmd"
  env -0 >"$T/env"
  printf '%s\n' "${VIL_CANVM_RMEM:-16777216}" >"$T/rmem"
  # Guest mounts under the guest's new root /run/R (see the guest side).
  R=/run/R
  {
    echo "proc $R/proc proc defaults 0 0"
    echo "sysfs $R/sys sysfs defaults 0 0"
    echo "devtmpfs $R/dev devtmpfs defaults 0 0"
    echo "devpts $R/dev/pts devpts X-mount.mkdir 0 0"
    echo "tmpfs $R/dev/shm tmpfs X-mount.mkdir 0 0"
    echo "tmpfs $R/run tmpfs defaults 0 0"
    echo "/usr/lib/uml/modules $R/usr/lib/modules none bind,X-mount.mkdir 0 0"
    for d in "$T" "$PWD" ${VIL_CANVM_RW:-}; do
      d=$(cd "$d" && pwd -P) || exit 2
      echo "none $R${d// /\\040} hostfs ${d// /\\040},X-mount.mkdir 0 0"
    done
  } >"$T/fstab"

  # Guest stdout/stderr leave through the UML serial lines ttyS1/ttyS2. UML makes those fds
  # non-blocking, so they are fresh FIFOs drained by cat, never the caller's own stdout/stderr.
  mkfifo "$T/out" "$T/err" || exit 2
  cat "$T/out" & cat_out=$!
  cat "$T/err" >&2 & cat_err=$!

  watchdog=
  if [ "${VIL_CANVM_TIMEOUT:-0}" != 0 ]; then
    # Holds none of our output pipes (a reader would wait for it) and takes its sleep with it.
    ( exec </dev/null >/dev/null 2>&1
      sleep "$VIL_CANVM_TIMEOUT" & s=$!
      trap 'kill $s; exit 0' TERM
      wait $s && touch "$T/timed-out" && kill -KILL -- "-$(cat "$T/vm.pid")" ) &
    watchdog=$!
  fi
  # setsid: UML and the host processes it forks for guest address spaces form one process group.
  LD_PRELOAD=$shim setsid "$uml" mem="${VIL_CANVM_MEM:-512M}" root=/dev/root rootfstype=hostfs rootflags=/ ro quiet \
    initcall_blacklist=raid6_select_algo,init_zswap init="$here/canvm.sh" VIL_CANVM_GUEST="$T" \
    uml_dir="$T" umid=vm con=null ssl=null con0=null,fd:2 ssl1=null,fd:3 ssl2=null,fd:4 \
    </dev/null 3>"$T/out" 4>"$T/err" >"$T/log" 2>&1 &
  vm=$!
  echo "$vm" >"$T/vm.pid"
  { wait "$vm"; } 2>/dev/null
  vm=
  wait "$cat_out" "$cat_err"
  if [ -e "$T/timed-out" ]; then
    echo "canvm: VM killed after VIL_CANVM_TIMEOUT=${VIL_CANVM_TIMEOUT}s; kernel log tail:" >&2
    tail -n 20 "$T/log" >&2
    exit 124
  fi
  [ -s "$T/rc" ] && exit "$(cat "$T/rc")"
  echo "canvm: VM failed; kernel log:" >&2
  cat "$T/log" >&2
  exit 125
fi

# -------------------------------------------------------------------------------- guest side
# PID 1 of the VM. / is the host's / through hostfs, read-only: build a writable overlay of it,
# mount what the guest needs, chroot into it and go on as "stage2".
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
G=$VIL_CANVM_GUEST
if [ "${1:-}" != stage2 ]; then
  mount -t tmpfs tmp /run && mkdir -p /run/upper /run/work /run/R &&
    insmod /usr/lib/uml/modules/*/kernel/fs/overlayfs/overlay.ko &&
    mount -t overlay root -o lowerdir=/,upperdir=/run/upper,workdir=/run/work /run/R &&
    mount -a -T "$G/fstab" &&
    exec chroot /run/R /bin/bash "$0" stage2
  echo "canvm: guest root setup failed" >&2
  poweroff -f
  exit 1
fi

exec 3>/dev/ttyS1 4>/dev/ttyS2
stty -F /dev/ttyS1 raw -echo 2>/dev/null
stty -F /dev/ttyS2 raw -echo 2>/dev/null
fail() { echo "canvm: $*" >&4; echo 125 >"$G/rc"; }
rmem=$(cat "$G/rmem")
if ! modprobe -a can can-raw can-bcm vcan 2>&4; then
  fail "modprobe of the CAN modules failed"
elif ! ip -b - 2>&4 <<EOF
link set lo up
link add vcan0 type vcan
link add vcan1 type vcan
link set vcan0 mtu 72
link set vcan1 mtu 72
link set vcan0 up
link set vcan1 up
EOF
then
  fail "vcan setup failed"
elif ! { echo "$rmem" >/proc/sys/net/core/rmem_max && echo "$rmem" >/proc/sys/net/core/rmem_default; } 2>&4; then
  fail "setting net.core.rmem_* failed"
else
  while IFS= read -r -d '' kv; do export "$kv" 2>/dev/null; done <"$G/env"
  case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH="$PATH:/usr/sbin:/sbin" ;; esac
  mapfile -d '' -t cmd <"$G/cmd"
  # CMD writes into pipes (like on the host); two cats carry them to the serial lines.
  mkfifo /run/canvm-out /run/canvm-err
  cat /run/canvm-out >&3 & o=$!
  cat /run/canvm-err >&4 & e=$!
  (cd "${cmd[0]}" && exec "${cmd[@]:1}") </dev/null >/run/canvm-out 2>/run/canvm-err 3>&- 4>&-
  echo $? >"$G/rc"
  # Processes CMD left behind may hold the pipes open: give the cats a moment, not forever.
  for _ in $(seq 50); do kill -0 $o $e 2>/dev/null || break; sleep 0.1; done
fi
exec 3>&- 4>&-
sync
poweroff -f >/dev/null 2>&1
echo o >/proc/sysrq-trigger
sleep 10
