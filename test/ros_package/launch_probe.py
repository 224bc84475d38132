#!/usr/bin/env python3
"""Runs a vil launch file as `ros2 launch` would, on stand-ins for launch / launch_ros.

ROS 2 cannot be installed where the tests run, so this provides the few classes the vil launch
files use, each with the constructor signature of the real class in Jazzy (launch 3.4 /
launch_ros 0.26; read from ros2/launch launch/actions/execute_process.py, execute_local.py,
declare_launch_argument.py, opaque_function.py and ros2/launch_ros launch_ros/actions/node.py):
a keyword the real class does not take fails here as it would there. LaunchConfiguration fails
on a name no DeclareLaunchArgument declared, as launch's does (SubstitutionFailure).

It loads the file, evaluates generate_launch_description(), resolves the declared arguments
(defaults, then NAME:=VALUE from the command line; a missing required argument fails like
`ros2 launch`), runs every OpaqueFunction and prints, as JSON, what would be started:

  python3 launch_probe.py FILE [--share PKG=DIR]... [NAME:=VALUE]...

  {"declared": [{"name", "default", "description"}], "configurations": {...},
   "referenced": [launch configurations read], "actions": [
     {"type": "node", "package", "executable", "name", "namespace", "parameters": [path | {dict}],
      "arguments": [...], "ros_arguments": [...], "output", "respawn"},
     {"type": "process", "cmd": [...], "name", "output"}],
   "error": null | "message"}
"""
import importlib.util
import json
import os
import sys
import traceback
import types


class SubstitutionFailure(Exception):
    pass


SHARE = {}


class Context:
    def __init__(self, configurations):
        self.launch_configurations = configurations
        self.performed = []


class Substitution:
    def perform(self, context):
        raise NotImplementedError


class TextSubstitution(Substitution):
    def __init__(self, *, text):
        self.text = text

    def perform(self, context):
        return self.text


def perform(context, value):
    if isinstance(value, str):
        return value
    if isinstance(value, Substitution):
        return value.perform(context)
    if isinstance(value, (list, tuple)):
        return ''.join(perform(context, v) for v in value)
    raise TypeError(f'not a substitution: {value!r}')


class LaunchConfiguration(Substitution):
    def __init__(self, variable_name, *, default=None):
        self.name = variable_name
        self.default = default

    def perform(self, context):
        context.performed.append(self.name)
        if self.name in context.launch_configurations:
            return context.launch_configurations[self.name]
        if self.default is not None:
            return perform(context, self.default)
        raise SubstitutionFailure(f"launch configuration '{self.name}' does not exist")


class PathJoinSubstitution(Substitution):
    def __init__(self, substitutions):
        self.parts = substitutions

    def perform(self, context):
        return os.path.join(*[perform(context, p) for p in self.parts])


class FindPackageShare(Substitution):
    def __init__(self, package):
        self.package = package

    def perform(self, context):
        if self.package not in SHARE:
            raise SubstitutionFailure(f"package '{self.package}' not found")
        return SHARE[self.package]


class Action:
    def __init__(self, *, condition=None):
        if condition is not None:
            raise NotImplementedError('conditions are not modelled by this probe')


class DeclareLaunchArgument(Action):
    def __init__(self, name, *, default_value=None, description=None, choices=None, **kwargs):
        super().__init__(**kwargs)
        self.name = name
        self.default_value = default_value
        self.description = description
        self.choices = choices


class OpaqueFunction(Action):
    def __init__(self, *, function, args=None, kwargs=None, **left_over_kwargs):
        super().__init__(**left_over_kwargs)
        self.function = function
        self.args = args or []
        self.kwargs = kwargs or {}


# launch.actions.ExecuteLocal's keywords (ExecuteProcess passes them on), Jazzy.
EXECUTE_LOCAL_KEYWORDS = {
    'shell', 'sigterm_timeout', 'sigkill_timeout', 'emulate_tty', 'output', 'output_format',
    'cached_output', 'log_cmd', 'on_exit', 'respawn', 'respawn_delay', 'respawn_max_retries',
    'condition',
}


class ExecuteProcess(Action):
    def __init__(self, *, cmd, prefix=None, name=None, cwd=None, env=None, additional_env=None,
                 **kwargs):
        unknown = sorted(set(kwargs) - EXECUTE_LOCAL_KEYWORDS)
        if unknown:
            raise TypeError(f'{type(self).__name__}() got unexpected keyword arguments {unknown}')
        super().__init__(condition=kwargs.get('condition'))
        self.cmd = cmd
        self.process_name = name
        self.output = kwargs.get('output', 'log')
        self.respawn = kwargs.get('respawn', False)

    def describe(self, context):
        return {'type': 'process', 'cmd': [perform(context, c) for c in self.cmd],
                'name': None if self.process_name is None else perform(context, self.process_name),
                'output': self.output}


class Node(ExecuteProcess):
    def __init__(self, *, executable, package=None, name=None, namespace=None, exec_name=None,
                 parameters=None, remappings=None, ros_arguments=None, arguments=None, **kwargs):
        super().__init__(cmd=[executable], **kwargs)
        if parameters is not None and not isinstance(parameters, list):
            raise TypeError("'parameters' must be a list (launch_ros ensure_argument_type)")
        self.fields = dict(package=package, executable=executable, name=name, namespace=namespace,
                           parameters=parameters, remappings=remappings,
                           ros_arguments=ros_arguments, arguments=arguments)

    def describe(self, context):
        f = self.fields

        def text(v):
            return None if v is None else perform(context, v)

        params = []
        for p in f['parameters'] or []:
            params.append(p if isinstance(p, dict) else perform(context, p))
        return {'type': 'node', 'package': text(f['package']), 'executable': text(f['executable']),
                'name': text(f['name']), 'namespace': text(f['namespace']), 'parameters': params,
                'arguments': [perform(context, a) for a in f['arguments'] or []],
                'ros_arguments': [perform(context, a) for a in f['ros_arguments'] or []],
                'output': self.output, 'respawn': self.respawn}


class LaunchDescription:
    def __init__(self, initial_entities=None, *, deprecated_reason=None):
        self.entities = list(initial_entities or [])


def install_modules():
    def module(name, **attrs):
        m = types.ModuleType(name)
        m.__dict__.update(attrs)
        sys.modules[name] = m
        return m

    module('launch', LaunchDescription=LaunchDescription, Substitution=Substitution)
    module('launch.actions', DeclareLaunchArgument=DeclareLaunchArgument,
           OpaqueFunction=OpaqueFunction, ExecuteProcess=ExecuteProcess)
    module('launch.substitutions', LaunchConfiguration=LaunchConfiguration,
           PathJoinSubstitution=PathJoinSubstitution, TextSubstitution=TextSubstitution)
    module('launch_ros')
    module('launch_ros.actions', Node=Node)
    module('launch_ros.substitutions', FindPackageShare=FindPackageShare)


def main(argv):
    path = argv[0]
    given = {}
    i = 1
    while i < len(argv):
        a = argv[i]
        if a == '--share':
            pkg, _, d = argv[i + 1].partition('=')
            SHARE[pkg] = d
            i += 2
            continue
        name, sep, value = a.partition(':=')
        if not sep:
            raise SystemExit(f'launch_probe: expected NAME:=VALUE, got {a}')
        given[name] = value
        i += 1

    out = {'declared': [], 'configurations': {}, 'referenced': [], 'actions': [], 'error': None}
    context = Context({})
    try:
        install_modules()
        spec = importlib.util.spec_from_file_location('launch_file', path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        ld = mod.generate_launch_description()
        declared = [e for e in ld.entities if isinstance(e, DeclareLaunchArgument)]
        for d in declared:
            default = None if d.default_value is None else perform(context, d.default_value)
            out['declared'].append({'name': d.name, 'default': default,
                                    'description': d.description})
        names = {d['name'] for d in out['declared']}
        for d in out['declared']:
            if d['name'] in given:
                context.launch_configurations[d['name']] = given[d['name']]
            elif d['default'] is not None:
                context.launch_configurations[d['name']] = d['default']
            else:
                raise SubstitutionFailure(
                    f"Included launch description missing required argument '{d['name']}'")
        for name, value in given.items():
            if name not in names:
                # ros2 launch accepts it (it becomes a launch configuration nobody reads).
                context.launch_configurations[name] = value
        out['configurations'] = dict(context.launch_configurations)
        pending = [e for e in ld.entities if not isinstance(e, DeclareLaunchArgument)]
        while pending:
            e = pending.pop(0)
            if isinstance(e, OpaqueFunction):
                pending = list(e.function(context, *e.args, **e.kwargs) or []) + pending
            elif isinstance(e, ExecuteProcess):
                out['actions'].append(e.describe(context))
            else:
                raise TypeError(f'unexpected launch entity {type(e).__name__}')
    except Exception as e:  # reported, not raised: the test reads the message
        out['error'] = f'{type(e).__name__}: {e}'
        out['traceback'] = traceback.format_exc()
    out['referenced'] = sorted(set(context.performed))
    json.dump(out, sys.stdout)
    sys.stdout.write('\n')


if __name__ == '__main__':
    main(sys.argv[1:])
