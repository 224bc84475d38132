#!/usr/bin/env python3
"""Creates a tun interface (raw IP link, MTU 1500), gives it 10.254.77.1/30 and swallows what the
kernel routes into it until stdin closes. Captures on it are LINKTYPE_RAW; datagrams larger than
the MTU sent to 10.254.77.2 leave as real IP fragments. Needs root (CAP_NET_ADMIN)."""
import fcntl
import os
import select
import struct
import subprocess
import sys

TUNSETIFF = 0x400454ca
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000
name = sys.argv[1] if len(sys.argv) > 1 else 'viltun0'
fd = os.open('/dev/net/tun', os.O_RDWR)
fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TUN | IFF_NO_PI))
subprocess.check_call(['ip', 'addr', 'add', '10.254.77.1/30', 'dev', name])
subprocess.check_call(['ip', 'link', 'set', name, 'mtu', '1500', 'up'])
print('ready', flush=True)
while True:
    r, _, _ = select.select([fd, sys.stdin], [], [])
    if sys.stdin in r and not sys.stdin.readline():
        break
    if fd in r:
        os.read(fd, 65536)
os.close(fd)
