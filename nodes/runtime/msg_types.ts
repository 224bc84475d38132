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
