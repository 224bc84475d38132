#!/usr/bin/env python3
"""An rclpy node that listens the way a user's node does, for the ROS tier's tests.

argv[1]: JSON {"subscribe": [{"topic", "type", "qos": "default"|"sensor_data"|"transient_local",
                              "raw": bool}], "node": name}
Prints one JSON line per message: {"topic": ..., "msg": {...}} (fields as rosidl_runtime_py gives
them) or, for raw subscriptions, {"topic": ..., "cdr": "<hex>"}; then runs until killed. Prints
{"ready": true} once every subscription exists. Knows nothing of vil's code.
"""
import json
import sys

import rclpy
from rclpy.qos import (DurabilityPolicy, QoSProfile, ReliabilityPolicy, qos_profile_sensor_data)
from rosidl_runtime_py.convert import message_to_ordereddict
from rosidl_runtime_py.utilities import get_message


def qos_of(name):
    if name == 'sensor_data':
        return qos_profile_sensor_data
    if name == 'transient_local':
        return QoSProfile(depth=10, reliability=ReliabilityPolicy.RELIABLE,
                          durability=DurabilityPolicy.TRANSIENT_LOCAL)
    # rclpy's default: reliable, volatile, keep last (as a user's node subscribes by default).
    return QoSProfile(depth=1000)


def jsonable(o):
    if isinstance(o, dict):
        return {k: jsonable(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [jsonable(v) for v in o]
    if isinstance(o, (bytes, bytearray)):
        return list(o)
    if isinstance(o, float) and o != o:
        return 'NaN'
    return o


def main():
    spec = json.loads(sys.argv[1])
    rclpy.init()
    node = rclpy.create_node(spec.get('node', 'vil_ros_probe'))
    subs = []
    for s in spec['subscribe']:
        topic = s['topic']
        msg_type = get_message(s['type'])
        if s.get('raw'):
            def on_raw(data, topic=topic):
                print(json.dumps({'topic': topic, 'cdr': bytes(data).hex()}), flush=True)
            subs.append(node.create_subscription(msg_type, topic, on_raw, qos_of(s.get('qos')), raw=True))
        else:
            def on_msg(m, topic=topic):
                print(json.dumps({'topic': topic, 'msg': jsonable(message_to_ordereddict(m))}), flush=True)
            subs.append(node.create_subscription(msg_type, topic, on_msg, qos_of(s.get('qos'))))
    print(json.dumps({'ready': True}), flush=True)
    try:
        rclpy.spin(node)
    except (KeyboardInterrupt, rclpy.executors.ExternalShutdownException):
        pass


if __name__ == '__main__':
    main()
