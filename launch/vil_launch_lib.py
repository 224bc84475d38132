# Helpers shared by bringup.launch.py and replay.launch.py (not a launch file itself).
#
# Launch-argument overrides are written to a params file of their own, one `/**/<node>` section
# per node, given after the main params file so that its values win. Not a launch_ros parameters
# dict: launch_ros writes those under `/**` (every node of the process), which in the one-process
# mode (vil_all) would hand `port` to can_bridge and `source` to every node that has one.
import json
import sys
import tempfile

from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

PACKAGE = 'vil'

# launch's own spelling of booleans (launch.conditions.evaluate_condition_expression).
TRUE = ('true', '1')
FALSE = ('false', '0')


def flag(context, name):
    """A boolean launch argument."""
    text = LaunchConfiguration(name).perform(context).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise RuntimeError(f'{name}:={text} is not a boolean: write {name}:=true or {name}:=false')


def number(context, name, minimum=None):
    """A numeric launch argument."""
    text = LaunchConfiguration(name).perform(context).strip()
    try:
        value = float(text)
    except ValueError:
        raise RuntimeError(f'{name}:={text} is not a number') from None
    if minimum is not None and not value >= minimum:
        raise RuntimeError(f'{name}:={text} is below {minimum}')
    return value


def convert(arg, text, kind):
    """A launch argument's text as the value of a parameter of ROS type `kind`."""
    if kind == 'string':
        return text
    if kind == 'integer':
        try:
            return int(text, 10)
        except ValueError:
            raise RuntimeError(f'{arg}:={text} is not a whole number') from None
    if kind == 'double':
        try:
            return float(text)
        except ValueError:
            raise RuntimeError(f'{arg}:={text} is not a number') from None
    if kind == 'bool':
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise RuntimeError(f'{arg}:={text} is not a boolean (true or false)')
    if kind == 'string_array':
        items = [item.strip() for item in text.split(',') if item.strip()]
        if not items:
            raise RuntimeError(f'{arg}:={text} names nothing; give comma-separated names')
        return items
    raise RuntimeError(f'internal: no conversion to {kind} for {arg}')


def apply_overrides(context, table, overrides):
    """Sets overrides[node][parameter] from every non-empty launch argument of the table."""
    for arg, node, parameter, kind in table:
        text = LaunchConfiguration(arg).perform(context).strip()
        if text and node in overrides:
            overrides[node][parameter] = convert(arg, text, kind)


def yaml_value(value):
    """A value as rcl's YAML parser types it: strings always quoted, doubles with a point."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != 0 and abs(value) < sys.float_info.min:
            # A subnormal: strtod flags 5e-324 as a range error (rcl keeps it as a string); exact hex is read.
            return value.hex()
        text = repr(value)
        return text if any(c in text for c in '.en') else text + '.0'
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, (list, tuple)) and value:
        # rcl cannot type an empty list, and its elements must share one type.
        items = [yaml_value(v) for v in value]
        return '[' + ', '.join(items) + ']'
    raise RuntimeError(f'internal: cannot write {value!r} as a parameter value')


def write_overrides(overrides):
    """Writes {node: {parameter: value}} as a params file; returns its path."""
    lines = ['# written by the vil launch files: overrides from launch arguments']
    for node, params in overrides.items():
        if not params:
            continue
        lines.append(f'/**/{node}:')
        lines.append('  ros__parameters:')
        for name, value in params.items():
            lines.append(f'    {name}: {yaml_value(value)}')
    # Kept after the launch (as launch_ros keeps its own generated parameter files).
    with tempfile.NamedTemporaryFile('w', prefix='vil_launch_', suffix='.yaml', delete=False) as f:
        f.write('\n'.join(lines) + '\n')
        return f.name


def vil_node(executable, *, namespace, parameters, log_level, arguments=None, respawn=False):
    """One vil executable of lib/vil (a node, vil_all, or `vil run <nodes>`)."""
    return Node(
        package=PACKAGE,
        executable=executable,
        # No name=: a plain `-r __node:=` renames every node of a process (vil_all refuses it).
        namespace=namespace or None,
        parameters=parameters,
        arguments=arguments,
        ros_arguments=['--log-level', log_level],
        output='screen',
        respawn=respawn,
        respawn_delay=5.0,
    )
