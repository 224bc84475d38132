#!/usr/bin/env python3
"""Parameter overrides as real rcl + rclpy take them, for test/ros/params_parity.test.ts.

One JSON request per line on stdin:
  {"args": ["--params-file", "/tmp/x.yaml", "-p", "a:=1"], "node": "n", "namespace": "/",
   "declare": {"a": "double", ...}}
One JSON answer per line on stdout:
  {"init_error": "..."}                      rclpy.init refused the arguments (rcl could not parse them)
  {"params": {"a": {"ok": true, "type": "DOUBLE", "value": ...} | {"ok": false, "error": "..."}}}
Each declared parameter is declared as a user's node declares it: declare_parameter(name, default)
with a default of the declared type (its type becomes the parameter's type). Values: bools and
strings as JSON, integers {"int": "<decimal>"}, doubles {"double": "<IEEE bits, hex>"} (or "nan"),
lists as lists, no value as null. Knows nothing of vil's code.
"""
import json
import math
import struct
import sys

import rclpy

DEFAULTS = {
    'bool': False,
    'integer': 0,
    'double': 0.0,
    'string': 'x',
    'bool_array': [False],
    'integer_array': [0],
    'double_array': [0.0],
    'string_array': ['x'],
}


def enc(v):
    if v is None:
        return None
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return {'int': str(v)}
    if isinstance(v, float):
        return {'double': 'nan' if math.isnan(v) else struct.pack('>d', v).hex()}
    if isinstance(v, str):
        return v
    return [enc(x) for x in v]


def run(req):
    try:
        rclpy.init(args=['--ros-args', *req['args']])
    except Exception as e:  # noqa: BLE001 - any refusal is the answer
        return {'init_error': str(e)}
    try:
        node = rclpy.create_node(req['node'], namespace=req['namespace'],
                                 start_parameter_services=False, enable_rosout=False)
        out = {}
        for name, kind in req['declare'].items():
            try:
                p = node.declare_parameter(name, DEFAULTS[kind])
                out[name] = {'ok': True, 'type': p.type_.name, 'value': enc(p.value)}
            except Exception as e:  # noqa: BLE001
                out[name] = {'ok': False, 'error': f'{type(e).__name__}: {e}'}
        node.destroy_node()
        return {'params': out}
    finally:
        rclpy.try_shutdown()


def main():
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(run(json.loads(line))), flush=True)


if __name__ == '__main__':
    main()
