#!/usr/bin/env python3
"""ROS tier helper: an rclpy node that subscribes raw to topics (prints the serialised bytes rcl
received: "RX <topic> <hex>", the first message per topic), and publishes messages built as rclpy
objects every 100 ms until killed. Prints "READY" once its endpoints exist.

stdin (one JSON document): {"listen": [{"type", "topic"}], "talk": [{"type", "topic", "msg"}]},
messages as tagged JSON (see rclpy_cdr.py).
"""
import json
import os
import sys

import rclpy
from rclpy.qos import HistoryPolicy, QoSProfile, ReliabilityPolicy
from rosidl_runtime_py.utilities import get_message

sys.path.insert(0, os.path.dirname(__file__))
from rclpy_cdr import fill, untag  # noqa: E402


def main():
    config = json.loads(sys.stdin.read(), object_hook=untag)
    rclpy.init()
    node = rclpy.create_node("rclpy_endpoint")
    qos = QoSProfile(history=HistoryPolicy.KEEP_LAST, depth=100, reliability=ReliabilityPolicy.RELIABLE)
    seen = set()

    def listener(topic):
        def cb(data):
            if topic in seen:
                return
            seen.add(topic)
            print(f"RX {topic} {bytes(data).hex()}", flush=True)
        return cb

    for item in config["listen"]:
        node.create_subscription(get_message(item["type"]), item["topic"], listener(item["topic"]), qos, raw=True)
    pubs = []
    for item in config["talk"]:
        cls = get_message(item["type"])
        pubs.append((node.create_publisher(cls, item["topic"], qos), fill(cls(), item["msg"])))
    node.create_timer(0.1, lambda: [p.publish(m) for p, m in pubs])
    print("READY", flush=True)
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass


main()
