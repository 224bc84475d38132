// TypeScript shapes of the ROS messages vil publishes and subscribes, as rclnodejs and the local
// graph's CDR reader shape them: every field of the ROS type present, {sec, nanosec} stamps,
// uint8[] as Uint8Array, fixed float64 arrays as number[]. A flat list: append yours at the end.
import type { Time } from './ros.js';

/** std_msgs/msg/Header */
export interface HeaderMsg {
  stamp: Time;
  frame_id: string;
}

/** geometry_msgs/msg/Vector3 */
export interface Vector3Msg {
  x: number;
  y: number;
  z: number;
}

/** geometry_msgs/msg/Quaternion */
export interface QuaternionMsg {
  x: number;
  y: number;
  z: number;
  w: number;
}

/** sensor_msgs/msg/NavSatStatus constants (STATUS_UNKNOWN and SERVICE_UNKNOWN exist from Jazzy on; the values hold on every distribution). */
export const NavSatStatus = {
  STATUS_UNKNOWN: -2,
  STATUS_NO_FIX: -1,
  STATUS_FIX: 0,
  STATUS_SBAS_FIX: 1,
  STATUS_GBAS_FIX: 2,
  SERVICE_UNKNOWN: 0,
  SERVICE_GPS: 1,
  SERVICE_GLONASS: 2,
  SERVICE_COMPASS: 4,
  SERVICE_GALILEO: 8,
} as const;

/** sensor_msgs/msg/NavSatStatus */
export interface NavSatStatusMsg {
  /** int8, NavSatStatus.STATUS_* */
  status: number;
  /** uint16 bit field, NavSatStatus.SERVICE_* */
  service: number;
}

/** sensor_msgs/msg/NavSatFix covariance types. */
export const NavSatFixCovariance = {
  COVARIANCE_TYPE_UNKNOWN: 0,
  COVARIANCE_TYPE_APPROXIMATED: 1,
  COVARIANCE_TYPE_DIAGONAL_KNOWN: 2,
  COVARIANCE_TYPE_KNOWN: 3,
} as const;

/** sensor_msgs/msg/NavSatFix */
export interface NavSatFixMsg {
  header: HeaderMsg;
  status: NavSatStatusMsg;
  /** degrees, + north */
  latitude: number;
  /** degrees, + east */
  longitude: number;
  /** metres above the WGS 84 ellipsoid; NaN when the receiver gave none */
  altitude: number;
  /** float64[9], row-major ENU [m²] */
  position_covariance: number[];
  position_covariance_type: number;
}

/** geometry_msgs/msg/Twist */
export interface TwistMsg {
  linear: Vector3Msg;
  angular: Vector3Msg;
}

/** geometry_msgs/msg/TwistWithCovariance */
export interface TwistWithCovarianceMsg {
  twist: TwistMsg;
  /** float64[36], row-major (x, y, z, rot x, rot y, rot z) */
  covariance: number[];
}

/** geometry_msgs/msg/TwistWithCovarianceStamped */
export interface TwistWithCovarianceStampedMsg {
  header: HeaderMsg;
  twist: TwistWithCovarianceMsg;
}

/** geometry_msgs/msg/QuaternionStamped */
export interface QuaternionStampedMsg {
  header: HeaderMsg;
  quaternion: QuaternionMsg;
}

/** nmea_msgs/msg/Sentence */
export interface NmeaSentenceMsg {
  header: HeaderMsg;
  sentence: string;
}

/** rtcm_msgs/msg/Message */
export interface RtcmMessageMsg {
  header: HeaderMsg;
  message: Uint8Array;
}

/** vil/msg/GnssStatus constants (msgs/msg/GnssStatus.msg). */
export const GnssStatus = {
  QUALITY_NO_FIX: 0,
  QUALITY_GPS: 1,
  QUALITY_DGPS: 2,
  QUALITY_PPS: 3,
  QUALITY_RTK_FIXED: 4,
  QUALITY_RTK_FLOAT: 5,
  QUALITY_ESTIMATED: 6,
  QUALITY_MANUAL: 7,
  QUALITY_SIMULATION: 8,
  QUALITY_SBAS: 9,
  FIX_MODE_UNKNOWN: 0,
  FIX_MODE_NONE: 1,
  FIX_MODE_2D: 2,
  FIX_MODE_3D: 3,
} as const;

/** vil/msg/GnssStatus */
export interface GnssStatusMsg {
  header: HeaderMsg;
  quality: number;
  quality_name: string;
  fix_mode: number;
  satellites_used: number;
  hdop: number;
  vdop: number;
  pdop: number;
  age_of_corrections: number;
  station_id: string;
  gnss_time_valid: boolean;
  gnss_time: Time;
}

/** builtin_interfaces/msg/Duration (sec may be negative; nanosec in [0, 1e9)) */
export interface DurationMsg {
  sec: number;
  nanosec: number;
}

/** geometry_msgs/msg/Point */
export interface PointMsg {
  x: number;
  y: number;
  z: number;
}

/** geometry_msgs/msg/Pose */
export interface PoseMsg {
  position: PointMsg;
  orientation: QuaternionMsg;
}

/** geometry_msgs/msg/PoseStamped */
export interface PoseStampedMsg {
  header: HeaderMsg;
  pose: PoseMsg;
}

/** geometry_msgs/msg/Transform */
export interface TransformMsg {
  translation: Vector3Msg;
  rotation: QuaternionMsg;
}

/** geometry_msgs/msg/TransformStamped */
export interface TransformStampedMsg {
  header: HeaderMsg;
  child_frame_id: string;
  transform: TransformMsg;
}

/** tf2_msgs/msg/TFMessage (/tf and /tf_static) */
export interface TFMessageMsg {
  transforms: TransformStampedMsg[];
}

/** std_msgs/msg/ColorRGBA (float32 components, 0..1) */
export interface ColorRGBAMsg {
  r: number;
  g: number;
  b: number;
  a: number;
}

/** visualization_msgs/msg/Marker constants. */
export const Marker = {
  ARROW: 0,
  CUBE: 1,
  SPHERE: 2,
  CYLINDER: 3,
  LINE_STRIP: 4,
  LINE_LIST: 5,
  CUBE_LIST: 6,
  SPHERE_LIST: 7,
  POINTS: 8,
  TEXT_VIEW_FACING: 9,
  MESH_RESOURCE: 10,
  TRIANGLE_LIST: 11,
  ARROW_STRIP: 12,
  ADD: 0,
  MODIFY: 0,
  DELETE: 2,
  DELETEALL: 3,
} as const;

/** sensor_msgs/msg/CompressedImage */
export interface CompressedImageMsg {
  header: HeaderMsg;
  format: string;
  data: Uint8Array;
}

/** visualization_msgs/msg/UVCoordinate */
export interface UVCoordinateMsg {
  u: number;
  v: number;
}

/** visualization_msgs/msg/MeshFile */
export interface MeshFileMsg {
  filename: string;
  data: Uint8Array;
}

/** visualization_msgs/msg/Marker (Jazzy fields; texture and mesh_file exist since Humble) */
export interface MarkerMsg {
  header: HeaderMsg;
  ns: string;
  /** int32 */
  id: number;
  /** int32, Marker.ARROW ... */
  type: number;
  /** int32, Marker.ADD / DELETE / DELETEALL */
  action: number;
  pose: PoseMsg;
  scale: Vector3Msg;
  color: ColorRGBAMsg;
  /** 0 = forever; counted in the viewer's ROS clock */
  lifetime: DurationMsg;
  frame_locked: boolean;
  points: PointMsg[];
  colors: ColorRGBAMsg[];
  texture_resource: string;
  texture: CompressedImageMsg;
  uv_coordinates: UVCoordinateMsg[];
  text: string;
  mesh_resource: string;
  mesh_file: MeshFileMsg;
  mesh_use_embedded_materials: boolean;
}

/** visualization_msgs/msg/MarkerArray */
export interface MarkerArrayMsg {
  markers: MarkerMsg[];
}

/** vil/msg/DetectedObject constants (msgs/msg/DetectedObject.msg). */
export const DetectedObject = {
  CLASS_UNKNOWN: 0,
  CLASS_CAR: 1,
  CLASS_TRUCK: 2,
  CLASS_MOTORCYCLE: 3,
  CLASS_BICYCLE: 4,
  CLASS_PEDESTRIAN: 5,
  CLASS_ANIMAL: 6,
  CLASS_STATIC: 7,
  CLASS_OTHER: 8,
} as const;

/** vil/msg/DetectedObject */
export interface DetectedObjectMsg {
  /** uint32 */
  id: number;
  /** uint8, DetectedObject.CLASS_* */
  classification: number;
  class_label: string;
  position: PointMsg;
  velocity: Vector3Msg;
  acceleration: Vector3Msg;
  size: Vector3Msg;
  yaw: number;
  existence_probability: number;
  /** uint8 */
  status: number;
  status_label: string;
}

/** vil/msg/ObjectList */
export interface ObjectListMsg {
  header: HeaderMsg;
  source: string;
  cycle_counter: number;
  frames_in_cycle: number;
  objects: DetectedObjectMsg[];
}
