# Replay a bag recorded on the vehicle, or a vehicle recording (MF4, BLF, ASC, candump), into
# decoded topics and rviz, on a desk.
#
#   ros2 launch vil replay.launch.py bag:=~/bags/drive_0001
#   ros2 launch vil replay.launch.py bag:=drive_0001 loop:=true rate:=2.0 can_config:=my_can.yaml
#   ros2 launch vil replay.launch.py bag:=drive_0001 decode:=false     # the bag as recorded
#   ros2 launch vil replay.launch.py recording:=drive.MF4 can_config:=my_can.yaml
#   ros2 launch vil replay.launch.py recording:=part1.MF4,part2.MF4     # split files of one drive
#
# A bag: `ros2 bag play BAG --clock` publishes the recorded raw topics and /clock; the decoders
# run from the raw topics on sim time (use_sim_time true for every node and rviz):
#   /vil/rtk/raw        → rtk_serial (source topic) → /vil/rtk/fix, heading, velocity, status
#   /vil/can/<bus>/raw  → can_bridge (source topic) → decoded signals, vehicle state, objects
#                         with the DBCs of can_config: a bag replays with any DBC version
#   fix, heading, speed → sim_pose → /vil/sim/ego_pose (no UDP unless sim_udp:=true)
#   all of these        → markers  → /vil/markers, /tf, /tf_static → rviz2
#
# A recording (recording:=FILE[,FILE...]): no bag is played; can_bridge reads the files itself
# (source recording) at their recorded pace, every bus taking its recording_channel from
# can_config, stamps shifted to start now, on the system clock. A CAN recording has no receiver
# data, so rtk_serial and sim_pose are not started: can_bridge, markers and rviz2 are.
# `vil import` turns a recording into a bag instead (then bag:= plays it with --clock).
#
# A bag recorded on the vehicle holds the decoded topics too. Playing them as well would publish
# every decoded topic twice (the bag's copy and the replay's), so with decode:=true (default) only
# the raw topics are played: `ros2 bag play --regex <play_regex>`. By hand the same is
#   ros2 bag play BAG --clock --topics /vil/rtk/raw /vil/can/can0/raw /vil/can/can1/raw
# and Jazzy's ros2 bag play also has --exclude-topics / --exclude-regex (-x) to leave topics out
# (`ros2 bag play --help` lists what your version offers). decode:=false plays every recorded
# topic and starts no decoder: the drive exactly as the vehicle saw it.
import os
import re
import sys
import tempfile

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument
from launch.actions import ExecuteProcess
from launch.actions import OpaqueFunction
from launch.substitutions import LaunchConfiguration
from launch.substitutions import PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

# vil_launch_lib.py is installed beside this file (share/vil/launch).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vil_launch_lib import (  # noqa: E402
    apply_overrides, flag, number, PACKAGE, vil_node, write_overrides)

# The decoders and what they read (dspace_relay is left out: no simulator on the desk).
NODES = ('rtk_serial', 'can_bridge', 'markers', 'sim_pose')
# From a CAN recording: no receiver data, so no rtk_serial and no sim_pose.
RECORDING_NODES = ('can_bridge', 'markers')

# Parameters every replay sets, whatever the params file says.
REPLAY_PARAMETERS = {
    'rtk_serial': {'source': 'topic'},
    # Vehicle state and object lists paced by the frames' own stamps: the same output at any rate.
    'can_bridge': {'source': 'topic', 'timebase': 'data'},
    'markers': {},
    'sim_pose': {},
}
# can_bridge reading recordings itself (recording:=): at their pace, stamps shifted to now.
RECORDING_PARAMETERS = {
    'can_bridge': {'source': 'recording', 'recording_realtime': True, 'recording_stamps': 'replay',
                   'timebase': 'data'},
    'markers': {},
}
# sim_pose sends no UDP in a replay unless sim_udp:=true.
NO_SIM_UDP = {'sim_pose': {'udp_layout': ''}}

# The raw topics the devices publish (rtk_serial: vil/rtk/raw; can_bridge: vil/can/<bus>/raw and
# vil/can/<bus>/raw_fd), as recorded without a namespace.
RAW_TOPICS_REGEX = '^/vil/(rtk/raw|can/[^/]+/raw(_fd)?)$'

# Launch argument -> (node, parameter, ROS parameter type) it overrides when not empty.
OVERRIDES = (
    ('can_config', 'can_bridge', 'config_file', 'string'),
    ('map_projection', 'sim_pose', 'map_projection', 'string'),
)

ARGUMENTS = (
    ('bag', '', 'the bag to play (directory or .mcap file); give bag:= or recording:='),
    ('recording', '', 'instead of a bag: MF4, BLF, ASC or candump recording(s), comma-separated '
     '(files of one drive, merged by time), read by can_bridge at their recorded pace'),
    ('rate', '1.0', 'playback rate (ros2 bag play --rate)'),
    ('loop', 'false', 'true: play the bag again and again (--loop); markers restart on the jump'),
    ('delay', '2.0', 'seconds between every decoder having subscribed and the start of playback, '
     'for DDS discovery (--delay)'),
    ('decode', 'true', 'true: play the raw topics and decode them here; false: play every '
     'recorded topic as it is and start no decoder'),
    ('play_regex', RAW_TOPICS_REGEX, 'with decode:=true, the topics to play (--regex)'),
    ('rviz', 'true', 'start rviz2 with rviz_config'),
    ('rviz_config', PathJoinSubstitution([FindPackageShare(PACKAGE), 'config', 'vil.rviz']),
     'rviz2 display configuration'),
    ('params_file', PathJoinSubstitution([FindPackageShare(PACKAGE), 'config', 'vil.params.yaml']),
     'parameters of every node (sections /**/<node>)'),
    ('can_config', '', 'can_bridge configuration with the DBCs to decode the bag with '
     '(empty: params file)'),
    ('map_projection', '', "sim_pose map georeference for the bag's site: PROJ string, "
     "'utm 33N' or 'enu' (empty: params file)"),
    ('sim_udp', 'false', 'true: sim_pose also sends its UDP packets during the replay'),
    ('log_level', 'info', 'debug | info | warn | error'),
)


def launch_setup(context):
    bag = os.path.expanduser(LaunchConfiguration('bag').perform(context).strip())
    recording = LaunchConfiguration('recording').perform(context).strip()
    if bool(bag) == bool(recording):
        raise RuntimeError('give bag:=BAG (a recorded ROS 2 bag) or recording:=FILE (an MF4, BLF, '
                           'ASC or candump recording), one of them')
    if recording:
        return recording_setup(context, recording)
    if not os.path.exists(bag):
        raise RuntimeError(f'bag:={bag} does not exist (a bag directory or its .mcap file)')
    rate = number(context, 'rate', minimum=0.001)
    delay = number(context, 'delay', minimum=0.0)
    decode = flag(context, 'decode')

    play = ['ros2', 'bag', 'play', bag, '--clock', '100', '--rate', repr(rate),
            '--disable-keyboard-controls']
    if flag(context, 'loop'):
        play.append('--loop')
    if delay > 0:
        play += ['--delay', repr(delay)]
    actions = []
    if decode:
        regex = LaunchConfiguration('play_regex').perform(context).strip()
        if regex:
            play += ['--regex', regex]
        qos_file = raw_qos_overrides(bag, regex or RAW_TOPICS_REGEX)
        if qos_file:
            play += ['--qos-profile-overrides-path', qos_file]
        overrides = {name: {'use_sim_time': True, **REPLAY_PARAMETERS[name]} for name in NODES}
        actions += decoders(context, NODES, overrides)
    actions += rviz(context, use_sim_time=True)
    if decode:
        # Played once every decoder has started and subscribed (play_when_ready.py), then --delay.
        gate = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'play_when_ready.py')
        play = [sys.executable, gate, *[f'/{name}' for name in NODES], '--', *play]
    actions.append(ExecuteProcess(cmd=play, name='bag_play', output='screen'))
    return actions


# The raw topics are offered reliable and deep, as the devices publish them now and as the decoders
# subscribe to them: a bag recorded from an older vil (or another driver) that published them best
# effort plays into the decoders all the same, and a burst is not lost between player and decoder.
RAW_QOS = {'history': 'keep_last', 'depth': 1000, 'reliability': 'reliable', 'durability': 'volatile'}


def raw_qos_overrides(bag, regex):
    """A --qos-profile-overrides-path file for the bag's raw topics; None when there are none."""
    try:
        import rosbag2_py
    except ImportError:
        print('[vil replay] rosbag2_py is not importable: the raw topics play with the QoS they were '
              'recorded with', file=sys.stderr)
        return None
    metadata = rosbag2_py.Info().read_metadata(bag, '')
    pattern = re.compile(regex)
    topics = sorted(t.topic_metadata.name for t in metadata.topics_with_message_count
                    if pattern.search(t.topic_metadata.name))
    if not topics:
        return None
    lines = ['# written by vil replay.launch.py: the raw topics offered as the decoders request them']
    for topic in topics:
        lines.append(f'{topic}:')
        lines += [f'  {k}: {v}' for k, v in RAW_QOS.items()]
    with tempfile.NamedTemporaryFile('w', prefix='vil_replay_qos_', suffix='.yaml', delete=False) as f:
        f.write('\n'.join(lines) + '\n')
        return f.name


def recording_setup(context, recording):
    """can_bridge reads the recording itself (source recording); no bag play, no sim time."""
    files = [os.path.abspath(os.path.expanduser(f.strip())) for f in recording.split(',') if f.strip()]
    for f in files:
        if not os.path.isfile(f):
            raise RuntimeError(f'recording:={f} does not exist (an MF4, BLF, ASC or candump file)')
    # What applies to a bag only.
    if flag(context, 'loop'):
        raise RuntimeError('loop:=true applies to bags; a recording plays once (vil import makes a bag of it)')
    if number(context, 'rate', minimum=0.001) != 1.0:
        raise RuntimeError('rate:= applies to bags; a recording plays at its recorded pace')
    if not flag(context, 'decode'):
        raise RuntimeError('decode:=false applies to bags; a recording is decoded by can_bridge')
    overrides = {name: {'use_sim_time': False, **RECORDING_PARAMETERS[name]} for name in RECORDING_NODES}
    overrides['can_bridge']['recording_files'] = files
    return decoders(context, RECORDING_NODES, overrides) + rviz(context, use_sim_time=False)


def decoders(context, nodes, overrides):
    """The vil nodes with the params file and the replay's overrides."""
    params_file = LaunchConfiguration('params_file').perform(context)
    if not os.path.isfile(params_file):
        raise RuntimeError(f'params_file:={params_file} is not a file')
    if 'sim_pose' in overrides and not flag(context, 'sim_udp'):
        for node, params in NO_SIM_UDP.items():
            overrides[node].update(params)
    apply_overrides(context, OVERRIDES, overrides)
    parameters = [params_file, write_overrides(overrides)]
    log_level = LaunchConfiguration('log_level').perform(context).strip().lower()
    return [vil_node(name, namespace='', parameters=parameters, log_level=log_level) for name in nodes]


def rviz(context, use_sim_time):
    if not flag(context, 'rviz'):
        return []
    return [Node(
        package='rviz2',
        executable='rviz2',
        arguments=['-d', LaunchConfiguration('rviz_config').perform(context)],
        parameters=[{'use_sim_time': use_sim_time}],
        output='screen',
    )]


def generate_launch_description():
    return LaunchDescription(
        [DeclareLaunchArgument(name, description=description) if default is None
         else DeclareLaunchArgument(name, default_value=default, description=description)
         for name, default, description in ARGUMENTS]
        + [OpaqueFunction(function=launch_setup)]
    )
