// sim_pose: the forward path, real vehicle → simulator.
//
//   vil/rtk/fix ─────────┐
//   vil/rtk/heading ─────┤                 map projection, lever arm,      ┌─▶ vil/sim/ego_pose (PoseStamped, map)
//   vil/rtk/velocity ────┼─▶ PoseSolver ── extrapolation to send time ── timer (rate_hz) ─┼─▶ CARLA set_transform (Pose)
//   [VehicleState] ──────┘                                                 └─▶ UDP packet (layout, sim_pose/EgoState)
//
// Stale input (no fix for stale_timeout_ms) is flagged in the packet and on /diagnostics.
import { inputQos, OUTPUT_QOS } from '../runtime/qos_profiles.js';
import type { RosNode } from '../runtime/ros.js';
import type { NodeDefinition, RunningNode } from '../runtime/run.js';
import { ConfigError } from '../runtime/errors.js';
import { Diagnostics, DiagnosticLevel } from '../runtime/diagnostics.js';
import { messageRegistry } from '../runtime/msg_registry.js';
import type { NavSatFixMsg, PoseMsg, PoseStampedMsg, QuaternionStampedMsg, TwistWithCovarianceStampedMsg } from '../runtime/msg_types.js';
import { compileLayout } from '../udp_layout/compile.js';
import { loadLayoutFile } from '../udp_layout/schema.js';
import { LayoutSender } from '../udp_layout/layout_sender.js';
import { FLAG_STALE } from '../udp_layout/plan.js';
import { destinationFromText, resolveConfigPath } from '../udp_layout/config_paths.js';
import { simPoseParams } from './params.js';
import { MapProjection, parseProjectionSpec } from './projection.js';
import { PoseSolver } from './pose_solver.js';
import { EGO_STATE_TYPE, egoStateResolver, emptyEgoState } from './ego_state.js';

/** The two VehicleState fields sim_pose reads (vil/msg/VehicleState, can_bridge). */
interface VehicleStateSpeed {
  speed: number;
  yaw_rate: number;
}

export const simPoseNode: NodeDefinition = {
  name: 'sim_pose',
  description: 'RTK fix + heading + velocity → vehicle pose in the simulator map frame (UDP, PoseStamped, CARLA)',
  start: startSimPose,
};

async function startSimPose(node: RosNode): Promise<RunningNode> {
  const p = node.declareParameters(simPoseParams);
  const log = node.logger;
  const paramError = (key: string, problem: string, fix: string) => new ConfigError({ source: `node ${node.name} parameters`, key, problem, fix });

  // ---- configuration, all checked before anything runs
  if (p.map_projection === '') throw paramError('map_projection', 'not set', "set it to the map's georeference: the PROJ string of the OpenDRIVE <geoReference>, 'utm 32N' or 'enu' with enu_origin");
  const spec = parseProjectionSpec(p.map_projection, p.enu_origin);
  if ('error' in spec) throw paramError('map_projection', spec.error, "give a PROJ string (+proj=tmerc ...), 'utm <zone><N|S>' or 'enu' with enu_origin: [lat, lon, h]");
  const projection = new MapProjection(spec);
  const triple = (key: 'map_offset' | 'lever_arm'): [number, number, number] => {
    const v = p[key];
    if (v.length !== 3) throw paramError(key, `expected 3 numbers [x, y, z], got ${v.length}`, `write ${key}: [x, y, z]`);
    return [v[0], v[1], v[2]];
  };
  const yawRateSource = p.yaw_rate_source === 'auto' ? (p.vehicle_state_topic ? 'vehicle_state' : 'none') : p.yaw_rate_source;
  if ((yawRateSource === 'vehicle_state' || p.speed_source === 'vehicle_state') && !p.vehicle_state_topic) {
    throw paramError(p.speed_source === 'vehicle_state' ? 'speed_source' : 'yaw_rate_source', 'uses the vehicle state but vehicle_state_topic is empty', 'set vehicle_state_topic (e.g. vil/can/vehicle_state) or choose another source');
  }
  const solver = new PoseSolver({
    projection,
    altitudeMode: p.altitude_mode,
    geoidSeparation: p.geoid_separation,
    fixedZ: p.fixed_z,
    mapOffset: triple('map_offset'),
    leverArm: triple('lever_arm'),
    extrapolate: p.extrapolate,
    maxExtrapolationS: p.max_extrapolation_ms / 1000,
    speedSource: p.speed_source,
    yawRateSource,
    courseMinSpeed: p.course_min_speed,
    headingTimeoutMs: p.heading_timeout_ms,
    inputTimeoutMs: p.input_timeout_ms,
    staleTimeoutMs: p.stale_timeout_ms,
  });

  let udp: LayoutSender | undefined;
  if (p.udp_layout !== '') {
    const file = resolveConfigPath(p.udp_layout, `node ${node.name} parameters`, 'udp_layout');
    const compiled = compileLayout(loadLayoutFile(file), egoStateResolver(messageRegistry()), EGO_STATE_TYPE);
    const dest = destinationFromText(p.udp_destination, `node ${node.name} parameters`, 'udp_destination');
    udp = new LayoutSender(compiled, { ...dest, multicastTtl: p.udp_multicast_ttl, multicastInterface: p.udp_multicast_interface || undefined }, log, 'ego pose');
    await udp.start();
    log.info({ layout: file, bytes: compiled.plan.totalSize, destination: p.udp_destination }, 'UDP pose output');
  }
  log.info({ projection: projection.describe(), rate_hz: p.rate_hz }, 'map projection');

  // ---- inputs
  const steady = () => performance.now();
  node.createSubscription<NavSatFixMsg>('sensor_msgs/msg/NavSatFix', p.fix_topic, inputQos(), (m) =>
    solver.fix({ stamp: m.header.stamp, latitude: m.latitude, longitude: m.longitude, altitude: m.altitude, status: m.status.status }, steady()),
  );
  if (p.heading_topic) node.createSubscription<QuaternionStampedMsg>('geometry_msgs/msg/QuaternionStamped', p.heading_topic, inputQos(), (m) => solver.heading(m.quaternion, steady()));
  if (p.velocity_topic) {
    node.createSubscription<TwistWithCovarianceStampedMsg>('geometry_msgs/msg/TwistWithCovarianceStamped', p.velocity_topic, inputQos(), (m) => {
      const t = m.twist.twist;
      solver.velocity(t.linear.x, t.linear.y, t.linear.z, t.angular.z, steady());
    });
  }
  if (p.vehicle_state_topic) {
    node.createSubscription<VehicleStateSpeed>('vil/msg/VehicleState', p.vehicle_state_topic, inputQos(), (m) => solver.vehicleState(m.speed, m.yaw_rate, steady()));
  }

  // ---- outputs at a fixed rate
  // Reliable: matches reliable (rviz, carla_ros_bridge) and best-effort subscribers alike.
  const posePub = p.pose_topic ? node.createPublisher<PoseStampedMsg>('geometry_msgs/msg/PoseStamped', p.pose_topic, OUTPUT_QOS) : undefined;
  const carlaPub = p.carla_pose_topic ? node.createPublisher<PoseMsg>('geometry_msgs/msg/Pose', p.carla_pose_topic, OUTPUT_QOS) : undefined;
  const ego = emptyEgoState();
  // Reused: publish() serialises synchronously.
  const pose: PoseStampedMsg = { header: { stamp: ego.stamp, frame_id: p.frame_id }, pose: { position: { x: 0, y: 0, z: 0 }, orientation: ego.orientation } };
  let stalePeriods = 0;
  let wasStale = false;
  let ticks = 0;
  let sentUdp = 0;
  const tick = () => {
    ticks++;
    const now = node.now();
    if (!solver.solve(now, steady(), ego)) return;
    if (ego.stale && !wasStale) {
      stalePeriods++;
      log.warn({ fix_age_s: ego.fix_age }, 'no fix within stale_timeout_ms: pose is stale');
    } else if (!ego.stale && wasStale) log.info('fixes are back: pose fresh again');
    wasStale = ego.stale;
    if (udp && !(ego.stale && p.stale_policy === 'stop')) {
      if (udp.send(ego, now, ego.stale ? FLAG_STALE : 0)) sentUdp++;
    }
    if (ego.stale) return;
    pose.pose.position.x = ego.x;
    pose.pose.position.y = ego.y;
    pose.pose.position.z = ego.z;
    posePub?.publish(pose);
    carlaPub?.publish(pose.pose);
  };
  const timer = node.createTimer(1000 / p.rate_hz, tick);

  // ---- diagnostics
  const diagnostics = new Diagnostics(node);
  diagnostics.add('pose', p.fix_topic, () => {
    const c = solver.counters;
    const fixAge = solver.hasFix ? (steady() - solver.lastFixAt) / 1000 : Number.NaN;
    const stale = !solver.hasFix || fixAge * 1000 > solver.staleTimeoutMs;
    return {
      level: stale ? DiagnosticLevel.ERROR : !ego.heading_valid ? DiagnosticLevel.WARN : DiagnosticLevel.OK,
      message: !solver.hasFix ? 'no fix yet' : stale ? `stale: no fix for ${fixAge.toFixed(1)} s` : !ego.heading_valid ? 'no heading (held or unknown)' : 'ok',
      values: {
        projection: projection.describe(),
        fix_age_s: Number.isNaN(fixAge) ? 'never' : fixAge,
        stale_periods: stalePeriods,
        stale_timeout_ms: solver.staleTimeoutMs,
        x: ego.x,
        y: ego.y,
        z: ego.z,
        yaw_deg: (ego.yaw * 180) / Math.PI,
        convergence_deg: (ego.convergence * 180) / Math.PI,
        extrapolation_ms: ego.extrapolation * 1000,
        heading_valid: ego.heading_valid,
        ticks,
        udp_packets: sentUdp,
        fixes: c.fixes,
        rejected_fixes: c.rejectedFixes,
        fixes_without_altitude: c.noAltitude,
        headings: c.headings,
        velocities: c.velocities,
        vehicle_states: c.vehicleStates,
        fix_stamp_in_future: c.fixFromFuture,
        extrapolation_clamped: c.extrapolationClamped,
        stale_sends: c.staleSends,
      },
    };
  });
  if (udp) {
    const u = udp;
    diagnostics.add('udp', p.udp_destination, () => {
      const v = u.diagnosticValues();
      const erroring = u.erroredWithin(2000);
      return { level: erroring ? DiagnosticLevel.WARN : DiagnosticLevel.OK, message: erroring ? `send errors: ${v.last_error}` : 'sending', values: v };
    });
  }

  return {
    diagnostics: () => diagnostics.collect(),
    async stop() {
      timer.cancel();
      await udp?.close();
    },
  };
}
