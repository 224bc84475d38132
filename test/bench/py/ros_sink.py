#!/usr/bin/env python3
"""ROS benchmark, the matched subscriber in its own process: subscribes raw (rcl hands over the
serialised bytes, nothing is deserialised, so this process costs as little as a subscriber can)
to the given topics and counts what arrives, so the publisher's middleware really serialises
and sends every message to a remote reader.

stdin (one JSON document): {"qos_depth": 1000, "topics": [{"type", "topic"}]}
stdout: "READY" once subscribed, "MATCHED" once every topic has a publisher, then
"COUNTS {topic: n}" every 0.5 s while the counts change.
"""
import json
import sys
import time

import rclpy
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from rosidl_runtime_py.utilities import get_message


def main():
    spec = json.loads(sys.stdin.readline())
    rclpy.init()
    node = rclpy.create_node("vil_bench_sink")
    qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=spec["qos_depth"], reliability=ReliabilityPolicy.RELIABLE)
    counts = {t["topic"]: 0 for t in spec["topics"]}

    def counter(topic):
        def cb(_data):
            counts[topic] += 1
        return cb

    subs = [node.create_subscription(get_message(t["type"]), t["topic"], counter(t["topic"]), qos, raw=True) for t in spec["topics"]]
    print("READY", flush=True)
    matched = False
    last = None
    next_report = time.monotonic()
    try:
        while rclpy.ok():
            rclpy.spin_once(node, timeout_sec=0.1)
            now = time.monotonic()
            if not matched and all(s.get_publisher_count() > 0 for s in subs):
                matched = True
                print("MATCHED", flush=True)
            if now >= next_report:
                next_report = now + 0.5
                if counts != last:
                    last = dict(counts)
                    print("COUNTS " + json.dumps(counts), flush=True)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass


main()
