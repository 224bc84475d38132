#!/usr/bin/env python3
"""Listens to what `ros2 bag play --start-paused` publishes: subscribes to the given topics
(reliable, transient local, keep all, so nothing published before the match is lost), waits until
every topic has its publisher, resumes the player through its service, and counts messages until
each topic has its expected count or the time limit is reached. Prints JSON: counts and the first
and last header stamp per topic.
Arguments: LIMIT_S TOPIC=TYPE=COUNT..."""
import json
import sys
import time

import rclpy
from rclpy.qos import QoSProfile, ReliabilityPolicy, DurabilityPolicy, HistoryPolicy
from rosbag2_interfaces.srv import Resume
from rosidl_runtime_py.utilities import get_message


def main():
    limit = float(sys.argv[1])
    wanted = {}
    for arg in sys.argv[2:]:
        topic, typ, count = arg.rsplit('=', 2)
        wanted[topic] = (typ, int(count))
    rclpy.init()
    node = rclpy.create_node('vil_play_listener')
    qos = QoSProfile(history=HistoryPolicy.KEEP_ALL, reliability=ReliabilityPolicy.RELIABLE, durability=DurabilityPolicy.TRANSIENT_LOCAL)
    got = {t: [] for t in wanted}

    def on(topic):
        def cb(msg):
            s = msg.header.stamp
            got[topic].append([s.sec, s.nanosec])
        return cb

    for topic, (typ, _) in wanted.items():
        node.create_subscription(get_message(typ), topic, on(topic), qos)
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and any(node.count_publishers(t) == 0 for t in wanted):
        rclpy.spin_once(node, timeout_sec=0.1)
    publishers = {t: node.count_publishers(t) for t in wanted}
    client = node.create_client(Resume, '/rosbag2_player/resume')
    resumed = client.wait_for_service(timeout_sec=max(0.1, deadline - time.monotonic()))
    if resumed:
        future = client.call_async(Resume.Request())
        rclpy.spin_until_future_complete(node, future, timeout_sec=max(0.1, deadline - time.monotonic()))
    while time.monotonic() < deadline and any(len(got[t]) < n for t, (_, n) in wanted.items()):
        rclpy.spin_once(node, timeout_sec=0.1)
    print(json.dumps({'publishers': publishers, 'resumed': resumed,
                      'counts': {t: len(v) for t, v in got.items()},
                      'first': {t: (v[0] if v else None) for t, v in got.items()},
                      'last': {t: (v[-1] if v else None) for t, v in got.items()}}))
    node.destroy_node()
    rclpy.shutdown()


main()
