// The markers node's parameters, and their checks beyond type and range (list lengths, topic
// names that must give distinct marker namespaces).
import { defineParams, type ParamValues } from '../runtime/params.js';
import { ConfigError } from '../runtime/errors.js';

export const markersParams = defineParams({
  object_topics: {
    type: 'string_array',
    default: ['vil/can/objects/esr'],
    description: 'vil/msg/ObjectList topics to draw; the last name segment of each ("esr") names its marker namespaces (esr/box, esr/label, esr/velocity)',
    hint: 'e.g. [vil/can/objects/esr, vil/can/objects/camera]; [] draws no objects',
  },
  ego_pose_topic: { type: 'string', default: 'vil/sim/ego_pose', description: 'geometry_msgs/msg/PoseStamped of the ego vehicle in the map frame (sim_pose); drives map → base_link TF, the vehicle box and the trail; empty disables' },
  fix_topic: { type: 'string', default: 'vil/rtk/fix', description: 'sensor_msgs/msg/NavSatFix whose horizontal position covariance is drawn as an ellipse at the ego pose; empty disables' },
  markers_topic: { type: 'string', default: 'vil/markers', description: 'visualization_msgs/msg/MarkerArray output (rviz MarkerArray display)' },
  reset_topic: { type: 'string', default: 'vil/markers/reset', description: 'std_msgs/msg/Empty: clears every marker (DELETEALL) and the trail; empty disables' },
  map_frame: { type: 'string', default: 'map', description: 'parent frame of the ego TF, and the frame of ego poses that carry none' },
  base_frame: { type: 'string', default: 'base_link', description: 'child frame of the ego TF (the vehicle body)' },
  publish_tf: { type: 'bool', default: true, description: 'publish map → base_link on /tf from the ego pose' },
  static_frames: {
    type: 'string_array',
    default: [],
    description: 'sensor mounting frames for /tf_static, one per entry: "child parent x y z roll pitch yaw" (metres; radians about the parent\'s fixed x, y, z axes)',
    hint: 'e.g. ["radar_esr base_link 3.7 0 0.45 0 0 0"]',
  },
  object_lifetime: { type: 'double', default: 1.0, min: 0, max: 3600, description: 'object markers vanish this long [s, ROS time] after their last list; 0 keeps them until deleted' },
  object_default_frame: { type: 'string', default: 'base_link', description: 'frame for object lists whose header has no frame_id' },
  text_height: { type: 'double', default: 0.6, min: 0.05, max: 10, description: 'height of the object labels [m]' },
  arrow_seconds: { type: 'double', default: 1.0, min: 0.05, max: 10, description: 'velocity arrows end where the object will be after this time [s]' },
  min_arrow_speed: { type: 'double', default: 0.2, min: 0, max: 100, description: 'no velocity arrow below this speed [m/s]' },
  object_alpha: { type: 'double', default: 0.8, min: 0, max: 1, description: 'opacity of object boxes' },
  coasted_alpha: { type: 'double', default: 0.3, min: 0, max: 1, description: 'opacity of boxes whose track status is in coasted_status_values' },
  coasted_status_values: {
    type: 'integer_array',
    default: [4, 6, 7],
    description: 'DetectedObject.status values drawn translucent (tracks the sensor is predicting, not measuring)',
    hint: 'Delphi ESR CAN_TX_TRACK_STATUS: 4 coasted, 6 invalid coasted, 7 new coasted',
  },
  hidden_status_values: {
    type: 'integer_array',
    default: [],
    description: 'DetectedObject.status values not drawn at all',
    hint: 'e.g. [0] for ESR "no target" slots if a list carries them',
  },
  vehicle_size: { type: 'double_array', default: [4.6, 1.9, 1.5], description: 'ego vehicle box length, width, height [m]', hint: 'three numbers' },
  vehicle_offset: { type: 'double_array', default: [1.4, 0.0, 0.75], description: 'centre of the ego box in base_link axes x, y, z [m] (base_link usually on the ground below the rear axle)', hint: 'three numbers' },
  ego_rate: { type: 'double', default: 10.0, min: 0, max: 1000, description: 'ego markers (box, trail, ellipse) at most this often [Hz, pose stamps]; 0: with every pose. TF goes out with every pose' },
  ego_lifetime: { type: 'double', default: 1.0, min: 0, max: 3600, description: 'ego box and ellipse vanish this long [s, ROS time] after the last pose; 0 keeps them' },
  trail_points: { type: 'integer', default: 2000, min: 2, max: 100000, description: 'longest trail [points]; the oldest point goes first' },
  trail_spacing: { type: 'double', default: 0.5, min: 0, max: 100, description: 'a trail point is added after the vehicle moved this far [m]' },
  trail_break: { type: 'double', default: 50.0, min: 0, max: 100000, description: 'a pose jump longer than this [m] starts a new trail (simulator reset); 0 never' },
  trail_width: { type: 'double', default: 0.2, min: 0.01, max: 10, description: 'trail line width [m]' },
  covariance_sigma: { type: 'double', default: 1.0, min: 0.1, max: 10, description: 'the ellipse half-axes are this many σ of the NavSatFix horizontal position covariance' },
  fix_timeout: { type: 'double', default: 2.0, min: 0, max: 3600, description: 'no ellipse when the last fix is older than this [s, ROS time]; 0 never times out' },
  time_jump_threshold: { type: 'double', default: 1.0, min: 0.001, max: 3600, description: 'the ROS clock or an input\'s stamps stepping back more than this [s] is a time jump (bag loop): DELETEALL and a fresh start' },
});

export type MarkersParams = ParamValues<typeof markersParams>;

const SOURCE = 'parameters of the markers node';

/** A double_array parameter of exactly three values, as {x, y, z}. */
export function vector3Param(name: string, values: readonly number[], nonNegative: boolean): { x: number; y: number; z: number } {
  if (values.length !== 3) {
    throw new ConfigError({ source: SOURCE, key: name, problem: `expected 3 numbers, got ${values.length}`, fix: `write ${name}: [x, y, z]` });
  }
  if (nonNegative && values.some((v) => !(v > 0))) {
    throw new ConfigError({ source: SOURCE, key: name, problem: `sizes must be positive, got [${values.join(', ')}]`, fix: `give ${name} three positive lengths in metres` });
  }
  return { x: values[0], y: values[1], z: values[2] };
}

/** Marker namespace group per object topic: its last segment, which must be distinct. */
export function objectTopicGroups(topics: readonly string[]): { topic: string; group: string }[] {
  const seen = new Map<string, string>();
  return topics.map((topic, i) => {
    const key = `object_topics[${i}]`;
    const trimmed = topic.trim().replace(/\/+$/, '');
    const group = trimmed.slice(trimmed.lastIndexOf('/') + 1);
    if (trimmed === '' || group === '') {
      throw new ConfigError({ source: SOURCE, key, problem: `"${topic}" is not a topic name`, fix: 'give a topic name such as vil/can/objects/esr, or remove the entry' });
    }
    const other = seen.get(group);
    if (other !== undefined) {
      throw new ConfigError({
        source: SOURCE,
        key,
        problem: `"${topic}" and "${other}" both end in "${group}", which names the marker namespaces`,
        fix: 'object topics must end in distinct names (e.g. .../esr_front and .../esr_rear)',
      });
    }
    seen.set(group, topic);
    return { topic: trimmed, group };
  });
}
