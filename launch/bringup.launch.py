# vil on the vehicle: every node, with parameters from config/vil.params.yaml.
#
#   ros2 launch vil bringup.launch.py                         # every node, one process each
#   ros2 launch vil bringup.launch.py single_process:=true    # every node in one process (vil_all)
#   ros2 launch vil bringup.launch.py serial_port:=/dev/vil-gnss can_interfaces:=can0 \
#       dspace_relay:=false
#   ros2 launch vil bringup.launch.py --show-args             # every argument, default, meaning
#
# Arguments that are empty by default keep the params file's value and override it when given, so
# the params file stays the one place for defaults. A node whose device is missing (no receiver on
# the port, CAN interface absent or down) keeps running, retries and reports on /diagnostics;
# `ros2 run vil vil doctor --params-file <file>` lists what to fix before a launch.
#
# Topics are relative (vil/rtk/fix): with namespace:='' (default) they are /vil/rtk/fix; with
# namespace:=car1 they are /car1/vil/rtk/fix. /tf, /tf_static and /diagnostics stay global.
import os
import sys

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.actions import OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch.substitutions import PathJoinSubstitution
from launch_ros.substitutions import FindPackageShare

# vil_launch_lib.py is installed beside this file (share/vil/launch).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vil_launch_lib import apply_overrides, flag, PACKAGE, vil_node, write_overrides  # noqa: E402

# Every node, by executable name (CMakeLists.txt installs one per node into lib/vil).
NODES = ('rtk_serial', 'can_bridge', 'markers', 'sim_pose', 'dspace_relay')

# Launch argument -> (node, parameter, ROS parameter type) it overrides when not empty.
# test/ros_package/launch.test.ts checks every entry against the parameters the node declares.
OVERRIDES = (
    ('serial_port', 'rtk_serial', 'port', 'string'),
    ('baud', 'rtk_serial', 'baud', 'integer'),
    ('can_config', 'can_bridge', 'config_file', 'string'),
    ('can_interfaces', 'can_bridge', 'interfaces', 'string_array'),
    ('map_projection', 'sim_pose', 'map_projection', 'string'),
    ('sim_destination', 'sim_pose', 'udp_destination', 'string'),
    ('dspace_routes', 'dspace_relay', 'routes_file', 'string'),
)

ARGUMENTS = (
    ('params_file', PathJoinSubstitution([FindPackageShare(PACKAGE), 'config', 'vil.params.yaml']),
     'parameters of every node (sections /**/<node>)'),
    ('namespace', '', 'namespace of every node; prefixes the relative topics (vil/...)'),
    ('single_process', 'false', 'true: the enabled nodes in one process (less memory on the SoC)'),
    ('use_sim_time', 'false', 'true: every node takes its time from /clock'),
    ('log_level', 'info', 'debug | info | warn | error'),
    ('respawn', 'false', 'true: start a node again 5 s after it ended; the others keep running'),
    ('rtk_serial', 'true', 'start rtk_serial (RTK receiver on a serial port)'),
    ('can_bridge', 'true', 'start can_bridge (vehicle CAN over SocketCAN)'),
    ('markers', 'true', 'start markers (rviz markers and /tf)'),
    ('sim_pose', 'true', 'start sim_pose (ego pose to the simulator over UDP)'),
    ('dspace_relay', 'true', 'start dspace_relay (simulator topics to dSPACE over UDP)'),
    ('serial_port', '', 'rtk_serial port, e.g. /dev/vil-gnss (empty: params file)'),
    ('baud', '', 'rtk_serial baud rate, e.g. 115200 (empty: params file)'),
    ('can_config', '', 'can_bridge configuration: buses, interfaces, one DBC per bus, signal '
     'mappings (empty: params file). For another DBC, copy config/can_bridge.yaml, set the '
     "bus's dbc (its signal names must exist in it) and name the copy here"),
    ('can_interfaces', '', 'comma-separated bus names of can_config to run, e.g. can0 '
     '(empty: params file; there [] runs every bus)'),
    ('map_projection', '', "sim_pose map georeference: PROJ string, 'utm 32N' or 'enu' "
     '(empty: params file)'),
    ('sim_destination', '', 'sim_pose UDP host:port of the simulator (empty: params file)'),
    ('dspace_routes', '', 'dspace_relay routes file with the dSPACE destinations '
     '(empty: params file)'),
)


def launch_setup(context):
    params_file = LaunchConfiguration('params_file').perform(context)
    if not os.path.isfile(params_file):
        raise RuntimeError(f'params_file:={params_file} is not a file')
    namespace = LaunchConfiguration('namespace').perform(context).strip()
    log_level = LaunchConfiguration('log_level').perform(context).strip().lower()
    single = flag(context, 'single_process')
    use_sim_time = flag(context, 'use_sim_time')
    respawn = flag(context, 'respawn')
    enabled = [name for name in NODES if flag(context, name)]
    if not enabled:
        raise RuntimeError('every node is disabled; enable one, e.g. rtk_serial:=true')

    overrides = {name: {'use_sim_time': use_sim_time} for name in enabled}
    apply_overrides(context, OVERRIDES, overrides)
    parameters = [params_file, write_overrides(overrides)]

    def node(executable, arguments=None):
        return vil_node(executable, namespace=namespace, parameters=parameters,
                        log_level=log_level, arguments=arguments, respawn=respawn)

    if not single:
        return [node(name) for name in enabled]
    if len(enabled) == len(NODES):
        return [node('vil_all')]
    return [node('vil', arguments=['run'] + enabled)]


def generate_launch_description():
    return LaunchDescription(
        [DeclareLaunchArgument(name, default_value=default, description=description)
         for name, default, description in ARGUMENTS]
        + [OpaqueFunction(function=launch_setup)]
    )
