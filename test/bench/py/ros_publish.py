#!/usr/bin/env python3
"""ROS benchmark, publisher (c): rclpy publishes the benchmark's messages as rclpy objects
(rosidl's generated classes: rclpy converts each to its C struct and rmw_cyclonedds_cpp
serialises it on every publish), and times the publish loop with time.process_time_ns() (CPU of
this process, every thread: what the middleware's threads spend for it is included) and
time.perf_counter_ns() (wall).

stdin (one JSON document, messages as tagged JSON, see test/ros/py/rclpy_cdr.py):
  {"qos_depth": 1000, "runs": 3, "cases": [{"label", "type", "topic", "count", "warmup", "msgs": [...]}]}
stdout: "RESULT <json>" per case: {"label", "type", "count", "runs": [{"cpu": s, "wall": s}]}.
Each case waits until its subscriber (another process) has matched, publishes `warmup`
messages untimed, then `runs` timed loops of `count` publishes cycling through `msgs`.
"""
import json
import os
import sys
import time

import rclpy
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from rosidl_runtime_py.utilities import get_message

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "ros", "py"))
from rclpy_cdr import fill, untag  # noqa: E402


def wait_matched(node, pub, topic):
    deadline = time.monotonic() + 120
    while pub.get_subscription_count() < 1:
        if time.monotonic() > deadline:
            raise RuntimeError(f"no subscriber matched {topic} within 120 s")
        rclpy.spin_once(node, timeout_sec=0.05)


def main():
    spec = json.loads(sys.stdin.read(), object_hook=untag)
    rclpy.init()
    node = rclpy.create_node("vil_bench_rclpy")
    qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=spec["qos_depth"], reliability=ReliabilityPolicy.RELIABLE)
    for case in spec["cases"]:
        cls = get_message(case["type"])
        msgs = [fill(cls(), m) for m in case["msgs"]]
        k = len(msgs)
        pub = node.create_publisher(cls, case["topic"], qos)
        wait_matched(node, pub, case["topic"])
        publish = pub.publish
        for i in range(case["warmup"]):
            publish(msgs[i % k])
        time.sleep(0.5)
        runs = []
        for _ in range(spec["runs"]):
            n = case["count"]
            c0 = time.process_time_ns()
            w0 = time.perf_counter_ns()
            for i in range(n):
                publish(msgs[i % k])
            w1 = time.perf_counter_ns()
            c1 = time.process_time_ns()
            runs.append({"cpu": (c1 - c0) / 1e9, "wall": (w1 - w0) / 1e9})
            time.sleep(0.5)  # the subscriber drains before the next run
        print("RESULT " + json.dumps({"label": case["label"], "type": case["type"], "count": case["count"], "runs": runs}), flush=True)
        node.destroy_publisher(pub)
    node.destroy_node()
    rclpy.shutdown()


main()
