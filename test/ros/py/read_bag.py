#!/usr/bin/env python3
"""Reads a bag with ROS 2's own rosbag2_py (the mcap storage plugin) and rclpy's deserializer, as a
user's tools would, and prints one JSON line per message: topic, log time, and the message's fields
(rosidl_runtime_py.message_to_ordereddict). The first line lists the topics with type and the
type description hash rosbag2 read for them."""
import json
import math
import sys

import rosbag2_py
from rclpy.serialization import deserialize_message
from rosidl_runtime_py.convert import message_to_ordereddict
from rosidl_runtime_py.utilities import get_message


def plain(v):
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


def main(uri):
    reader = rosbag2_py.SequentialReader()
    reader.open(rosbag2_py.StorageOptions(uri=uri, storage_id='mcap'), rosbag2_py.ConverterOptions('', ''))
    topics = reader.get_all_topics_and_types()
    types = {t.name: t.type for t in topics}
    print(json.dumps({'topics': [{'name': t.name, 'type': t.type, 'serialization_format': t.serialization_format,
                                  'type_description_hash': t.type_description_hash,
                                  'offered_qos_profiles': len(t.offered_qos_profiles)} for t in topics]}))
    classes = {name: get_message(t) for name, t in types.items()}
    while reader.has_next():
        topic, data, t = reader.read_next()
        msg = deserialize_message(data, classes[topic])
        print(json.dumps({'topic': topic, 't': str(t), 'msg': plain(message_to_ordereddict(msg))}))


main(sys.argv[1])
