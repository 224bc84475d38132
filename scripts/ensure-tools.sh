#!/usr/bin/env bash
# Installs the system tools vil's tests drive (Debian/Ubuntu, via apt) when they are missing:
#   socat            serial integration tests (pty pairs)
#   proj-bin         PROJ's cs2cs/proj: the reference for sim_pose's projections
#   user-mode-linux  a Linux kernel with vcan, run as a normal process, for SocketCAN tests
#   can-utils        cansend/candump/canplayer, the independent CAN peers in those tests
#   kmod, iproute2   modprobe and ip inside that kernel
#   gcc, libc6-dev   build scripts/canvm-xstate-shim.c, which lets that kernel run on AMX hosts
#   python3-catkin-pkg  the real package.xml parser
#   cmake, g++       configure CMakeLists.txt (the ROS 2 package) in its packaging test
#   tcpdump          real pcap captures for `vil udp decode` tests
#   zstd             decompresses MCAP chunks in the independent MCAP checker (test/runtime/py)
#   usb.ids          the USB ID repository: judges the vendor/product ids in config/udev/99-vil.rules
#   systemd          systemd-analyze verify for config/systemd/*.service
#   bsdutils         script(1): runs the CLI at a real terminal (pty) in the log-format tests
#   chromium         headless screenshots of the demo's drive.svg (is the picture drawn?)
#   udevadm          `udevadm test` of config/udev/99-vil.rules (in the UML VM): the machine's own, else
#                    Debian's udev package unpacked into a cache (installing it would replace systemd)
# Without root it prints the apt command instead and fails, so no test runs without its tool.
set -euo pipefail
declare -A need=(
  [socat]=socat
  [cs2cs]=proj-bin
  [linux.uml]=user-mode-linux
  [cansend]=can-utils
  [candump]=can-utils
  [modprobe]=kmod
  [ip]=iproute2
  [cc]=gcc
  [python3]=python3
  [cmake]=cmake
  [c++]=g++
  [tcpdump]=tcpdump
  [zstd]=zstd
  [systemd-analyze]=systemd
  [script]=bsdutils
  [chromium]=chromium
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || PATH="$PATH:/usr/sbin:/sbin" command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done
/usr/bin/python3 -c 'import catkin_pkg' >/dev/null 2>&1 || missing+=(python3-catkin-pkg)
[ -e /usr/include/stdio.h ] || missing+=(libc6-dev)
[ -e /usr/share/misc/usb.ids ] || missing+=(usb.ids)
udev_cache=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/vil-udev
if ! PATH="$PATH:/usr/sbin:/sbin" command -v udevadm >/dev/null 2>&1 && [ ! -x "$udev_cache/root/bin/udevadm" ] && [ ! -x "$udev_cache/root/usr/bin/udevadm" ]; then
  echo "ensure-tools: unpacking Debian's udev package into $udev_cache (for udevadm)" >&2
  (mkdir -p "$udev_cache" && cd "$udev_cache" && rm -f udev_*.deb && apt-get download udev >&2 && dpkg-deb -x udev_*.deb root) ||
    { echo "ensure-tools: could not fetch udevadm (apt-get download udev) into $udev_cache" >&2; exit 1; }
fi
[ ${#missing[@]} -eq 0 ] && exit 0
pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" != 0 ] && ! command -v sudo >/dev/null; then
  echo "vil tests need: $pkgs— install with: apt-get install -y --no-install-recommends $pkgs" >&2
  exit 1
fi
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
echo "ensure-tools: installing $pkgs(apt)" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $pkgs >&2
