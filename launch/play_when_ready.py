#!/usr/bin/env python3
"""Starts `ros2 bag play ...` once the replay's decoders can hear it (replay.launch.py runs this).

A fixed delay before playback is a guess at how long the decoders take to start (Node.js, rclnodejs,
the DBCs): on a loaded machine they took 4.5 s, the 2 s delay ran out, and the first epochs were
played to nobody. This waits for the events instead: every named node exists and has subscribed to
a topic of its own (not /parameter_events, not /clock); then the `--delay` of the play command gives
DDS discovery between the player and them its time.

  play_when_ready.py NODE... -- ros2 bag play BAG ...
"""
import os
import sys
import time

import rclpy

IGNORED = {'/parameter_events', '/clock', '/rosout'}


def main():
    argv = sys.argv[1:]
    if '--' not in argv:
        print('usage: play_when_ready.py NODE... -- COMMAND...', file=sys.stderr)
        return 2
    cut = argv.index('--')
    nodes, cmd = argv[:cut], argv[cut + 1:]
    rclpy.init()
    gate = rclpy.create_node('vil_replay_gate')
    said = 0.0
    try:
        while True:
            present = {(ns, name) for name, ns in gate.get_node_names_and_namespaces()}
            waiting = []
            for full in nodes:
                ns, _, name = full.rpartition('/')
                ns = ns or '/'
                subscribed = (ns, name) in present and any(
                    topic not in IGNORED for topic, _ in gate.get_subscriber_names_and_types_by_node(name, ns))
                if not subscribed:
                    waiting.append(full)
            if not waiting:
                break
            if time.monotonic() - said > 10:
                print(f'[vil replay] waiting for {", ".join(waiting)} to start before playing the bag',
                      file=sys.stderr, flush=True)
                said = time.monotonic()
            rclpy.spin_once(gate, timeout_sec=0.1)
    finally:
        gate.destroy_node()
        rclpy.shutdown()
    os.execvp(cmd[0], cmd)


if __name__ == '__main__':
    sys.exit(main())
