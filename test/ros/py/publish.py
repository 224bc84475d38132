#!/usr/bin/env python3
"""An rclpy node that publishes what the test sends it, as a user's node or a bag player would.

stdin: one JSON object per line: {"topic", "type", "msg": {...fields as rosidl_runtime_py takes them}}
or {"wait": "<topic>"} (wait until that topic's publisher has a matched subscription, then print
{"matched": "<topic>"}). Publishers use rclpy's default QoS (reliable, keep last 1000 here so a
burst written at once is kept). Prints {"published": n} after each message. Knows nothing of vil.
"""
import json
import sys
import time

import rclpy
from rclpy.qos import QoSProfile
from rosidl_runtime_py.set_message import set_message_fields
from rosidl_runtime_py.utilities import get_message


def main():
    rclpy.init()
    node = rclpy.create_node('vil_ros_publisher')
    pubs = {}
    count = 0

    def publisher(topic, type_name):
        if topic not in pubs:
            pubs[topic] = (node.create_publisher(get_message(type_name), topic, QoSProfile(depth=1000)), get_message(type_name))
        return pubs[topic]

    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        req = json.loads(line)
        if 'wait' in req:
            pub, _ = publisher(req['wait'], req['type'])
            while pub.get_subscription_count() == 0:
                rclpy.spin_once(node, timeout_sec=0.05)
            print(json.dumps({'matched': req['wait']}), flush=True)
            continue
        pub, cls = publisher(req['topic'], req['type'])
        msg = cls()
        set_message_fields(msg, req['msg'])
        pub.publish(msg)
        count += 1
        print(json.dumps({'published': count}), flush=True)
        rclpy.spin_once(node, timeout_sec=0)
    # Keep the publishers alive until the test closes us, so reliable delivery can complete.
    time.sleep(3600)


if __name__ == '__main__':
    main()
