#!/usr/bin/env python3
"""ROS benchmark, latency end: an rclpy subscriber (a default, reliable one, as a user's node
would create) that prints, for every message, the CLOCK_MONOTONIC time its callback ran
(time.monotonic_ns(), the clock Node's process.hrtime.bigint() reads on Linux) and the system
time (time.time_ns(), the clock ROS stamps use), with a few fields of the message.

argv: <topic> <navsatfix|vehicle_state>
stdout: "MATCHED <monotonic ns> <time ns>" once a publisher is matched (the two clocks read
together: the offset between them), then per message:
  navsatfix:     "MSG <monotonic ns> <time ns> <stamp ns> <latitude>"
  vehicle_state: "MSG <monotonic ns> <time ns> <stamp ns> <speed> <speed_age>"
"""
import sys
import time

import rclpy
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from rosidl_runtime_py.utilities import get_message

KINDS = {"navsatfix": "sensor_msgs/msg/NavSatFix", "vehicle_state": "vil/msg/VehicleState"}


def main():
    topic, kind = sys.argv[1], sys.argv[2]
    rclpy.init()
    node = rclpy.create_node("vil_bench_listen")
    qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=100, reliability=ReliabilityPolicy.RELIABLE)
    out = sys.stdout

    if kind == "navsatfix":
        def cb(m):
            mono = time.monotonic_ns()
            now = time.time_ns()
            out.write(f"MSG {mono} {now} {m.header.stamp.sec * 1_000_000_000 + m.header.stamp.nanosec} {m.latitude!r}\n")
            out.flush()
    else:
        def cb(m):
            mono = time.monotonic_ns()
            now = time.time_ns()
            out.write(f"MSG {mono} {now} {m.header.stamp.sec * 1_000_000_000 + m.header.stamp.nanosec} {m.speed!r} {m.speed_age!r}\n")
            out.flush()

    sub = node.create_subscription(get_message(KINDS[kind]), topic, cb, qos)
    matched = False
    try:
        while rclpy.ok():
            rclpy.spin_once(node, timeout_sec=0.05)
            if not matched and sub.get_publisher_count() > 0:
                matched = True
                print(f"MATCHED {time.monotonic_ns()} {time.time_ns()}", flush=True)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass


main()
