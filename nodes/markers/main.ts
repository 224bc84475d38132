// markers: everything rviz sees.
//
//   vil/can/objects/<group> (vil/msg/ObjectList) ──▶ ObjectListMarkers ─┐
//   vil/sim/ego_pose (PoseStamped, map) ──▶ EgoMarkers ──▶ /tf map → base_link
//   vil/rtk/fix (NavSatFix) ──▶ EgoMarkers (covariance ellipse)          ├─▶ vil/markers (MarkerArray)
//   vil/markers/reset (std_msgs/Empty), time jumps ──▶ DELETEALL ───────┘
//   static_frames parameter ──▶ /tf_static (once, transient local)
//
// Lifetimes and expiry run on the ROS clock, so under `ros2 bag play --clock` with use_sim_time a
// paused bag keeps its markers, and a looping bag (time jumping back) starts from a clean slate.
import { inputQos, OUTPUT_QOS } from '../runtime/qos_profiles.js';
import type { RosNode, Time, QosSettings } from '../runtime/ros.js';
import type { NodeDefinition, RunningNode } from '../runtime/run.js';
import { Diagnostics, DiagnosticLevel } from '../runtime/diagnostics.js';
import { ThrottledLog } from '../runtime/logger.js';
import type { MarkerArrayMsg, NavSatFixMsg, ObjectListMsg, PoseStampedMsg, TFMessageMsg } from '../runtime/msg_types.js';
import { timeToNs } from '../runtime/ros.js';
import { markersParams, objectTopicGroups, vector3Param } from './params.js';
import { parseStaticFrames, staticTransforms } from './static_frames.js';
import { MarkerArrayBuilder } from './marker_array.js';
import { ObjectListMarkers } from './object_markers.js';
import { EgoMarkers } from './ego_markers.js';
import { TimeJumpDetector } from './time_jump.js';

/** tf2_ros::DynamicBroadcasterQoS. */
export const TF_QOS: QosSettings = { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 100 };
/** tf2_ros::StaticBroadcasterQoS: late joiners (rviz started later) still get the static frames. */
export const TF_STATIC_QOS: QosSettings = { reliability: 'reliable', durability: 'transient_local', history: 'keep_last', depth: 1 };

/** How often expiry and the ROS clock are checked [ms, wall]. The decisions use ROS time. */
const HOUSEKEEPING_MS = 100;

export const markersNode: NodeDefinition = {
  name: 'markers',
  description: 'object lists, ego pose and GNSS covariance → rviz MarkerArray, /tf map → base_link, /tf_static sensor frames',
  start: startMarkers,
};

async function startMarkers(node: RosNode): Promise<RunningNode> {
  const p = node.declareParameters(markersParams);
  const log = node.logger;
  const throttled = new ThrottledLog(log);
  const source = `parameters of node ${node.name}`;
  const groups = objectTopicGroups(p.object_topics);
  const vehicleSize = vector3Param('vehicle_size', p.vehicle_size, true);
  const vehicleOffset = vector3Param('vehicle_offset', p.vehicle_offset, false);
  const frames = parseStaticFrames(p.static_frames, { source, key: 'static_frames', reservedChildren: [p.map_frame, p.base_frame] });
  const knownFrames = new Set<string>([p.map_frame, p.base_frame, ...frames.map((f) => f.child)]);

  const markersPub = node.createPublisher<MarkerArrayMsg>('visualization_msgs/msg/MarkerArray', p.markers_topic, OUTPUT_QOS);
  const builder = new MarkerArrayBuilder();
  const jumps = new TimeJumpDetector(p.time_jump_threshold);
  /** Stamp of the pose the ego markers were last built for (ego_rate limit). */
  let lastEgoBuildNs: bigint | undefined;
  const counters = { marker_arrays: 0, markers: 0, publish_errors: 0, time_jumps: 0, resets: 0, delete_alls: 0 };

  const publishMarkers = (): void => {
    if (builder.length === 0) return;
    try {
      markersPub.publish(builder.finish());
      counters.marker_arrays++;
      counters.markers += builder.length;
    } catch (e) {
      // A marker the middleware refuses is a bug here, not bad input: say so loudly, keep running.
      counters.publish_errors++;
      throttled.error('publish', `cannot publish markers: ${(e as Error).message}`);
    }
  };

  const lists = groups.map(
    ({ topic, group }) =>
      ({
        topic,
        markers: new ObjectListMarkers({
          group,
          lifetimeS: p.object_lifetime,
          defaultFrame: p.object_default_frame,
          textHeight: p.text_height,
          arrowSeconds: p.arrow_seconds,
          minArrowSpeed: p.min_arrow_speed,
          alpha: p.object_alpha,
          coastedAlpha: p.coasted_alpha,
          coastedStatus: new Set(p.coasted_status_values),
          hiddenStatus: new Set(p.hidden_status_values),
        }),
      }) as const,
  );
  const ego =
    p.ego_pose_topic === ''
      ? undefined
      : new EgoMarkers({
          mapFrame: p.map_frame,
          baseFrame: p.base_frame,
          vehicleSize,
          vehicleOffset,
          lifetimeS: p.ego_lifetime,
          trailPoints: p.trail_points,
          trailSpacing: p.trail_spacing,
          trailBreak: p.trail_break,
          trailWidth: p.trail_width,
          sigma: p.covariance_sigma,
          fixTimeoutS: p.fix_timeout,
        });

  /** Adds a DELETEALL to the array being built and forgets every marker shown. */
  const clearAll = (stamp: Time): void => {
    builder.deleteAll(stamp);
    counters.delete_alls++;
    for (const l of lists) l.markers.forget();
    ego?.reset();
    lastEgoBuildNs = undefined;
  };

  /** Watches a time source; a backward jump clears everything (inside the array being built). */
  const watch = (what: string, t: Time, now: Time): void => {
    if (!jumps.observe(what, t)) return;
    counters.time_jumps++;
    log.info({ source: what, to: `${t.sec}.${String(t.nanosec).padStart(9, '0')}` }, 'time jumped back (bag loop?): clearing all markers');
    clearAll(now);
    jumps.rebase(t);
  };

  // Static frames: once, transient local, as tf2's StaticTransformBroadcaster (one message with all).
  if (frames.length > 0) {
    const staticPub = node.createPublisher<TFMessageMsg>('tf2_msgs/msg/TFMessage', '/tf_static', TF_STATIC_QOS);
    staticPub.publish({ transforms: staticTransforms(frames, node.now()) });
    log.info({ frames: frames.map((f) => `${f.parent} → ${f.child}`) }, 'static frames published on /tf_static');
  }

  const warnedFrames = new Set<string>();
  for (const l of lists) {
    node.createSubscription<ObjectListMsg>('vil/msg/ObjectList', l.topic, inputQos(), (msg) => {
      const now = node.now();
      builder.begin();
      watch('clock', now, now);
      watch(l.topic, msg.header.stamp, now);
      l.markers.apply(msg, now, builder);
      publishMarkers();
      const frame = msg.header.frame_id || p.object_default_frame;
      if (!knownFrames.has(frame) && !warnedFrames.has(frame)) {
        warnedFrames.add(frame);
        log.warn(
          { topic: l.topic, frame },
          `objects on ${l.topic} are in frame "${frame}", which this node does not place in TF; unless another node publishes it, add it to static_frames ("${frame} ${p.base_frame} x y z roll pitch yaw")`,
        );
      }
    });
  }

  const egoPeriodNs = p.ego_rate > 0 ? BigInt(Math.round(1e9 / p.ego_rate)) : 0n;
  const tfPub = ego && p.publish_tf ? node.createPublisher<TFMessageMsg>('tf2_msgs/msg/TFMessage', '/tf', TF_QOS) : undefined;
  if (ego) {
    node.createSubscription<PoseStampedMsg>('geometry_msgs/msg/PoseStamped', p.ego_pose_topic, inputQos(), (msg) => {
      const now = node.now();
      builder.begin();
      watch('clock', now, now);
      watch(p.ego_pose_topic, msg.header.stamp, now);
      const tf = ego.onPose(msg);
      if (tf && tfPub) {
        try {
          tfPub.publish(tf);
        } catch (e) {
          counters.publish_errors++;
          throttled.error('tf', `cannot publish /tf: ${(e as Error).message}`);
        }
      }
      const ns = timeToNs(msg.header.stamp);
      if (ego.hasPose && (lastEgoBuildNs === undefined || ns - lastEgoBuildNs >= egoPeriodNs || ns < lastEgoBuildNs)) {
        lastEgoBuildNs = ns;
        ego.build(now, builder);
      }
      publishMarkers();
    });
    if (p.fix_topic !== '') {
      node.createSubscription<NavSatFixMsg>('sensor_msgs/msg/NavSatFix', p.fix_topic, inputQos(), (msg) => {
        const now = node.now();
        builder.begin();
        watch('clock', now, now);
        watch(p.fix_topic, msg.header.stamp, now);
        ego.onFix(msg, now);
        // The ellipse goes out with the next ego markers, at the pose; only a DELETEALL goes now.
        publishMarkers();
      });
    }
  }

  if (p.reset_topic !== '') {
    node.createSubscription<Record<string, never>>('std_msgs/msg/Empty', p.reset_topic, inputQos(), () => {
      const now = node.now();
      builder.begin();
      clearAll(now);
      jumps.clear();
      counters.resets++;
      log.info('reset: all markers cleared');
      publishMarkers();
    });
  }

  // Whatever a previous run of this node left in rviz goes first.
  builder.begin();
  clearAll(node.now());
  publishMarkers();

  const timer = node.createTimer(HOUSEKEEPING_MS, () => {
    const now = node.now();
    builder.begin();
    watch('clock', now, now);
    for (const l of lists) l.markers.expire(now, builder);
    publishMarkers();
  });

  const diagnostics = new Diagnostics(node);
  diagnostics.add('markers', p.markers_topic, () => {
    const values: Record<string, number | string> = { ...counters };
    for (const l of lists) {
      for (const [k, v] of Object.entries(l.markers.counters)) values[`${l.topic}: ${k}`] = v;
      values[`${l.topic}: objects_shown`] = l.markers.size;
    }
    if (ego) {
      for (const [k, v] of Object.entries(ego.counters)) values[`ego: ${k}`] = v;
      values['ego: trail_points'] = ego.trailLength;
    }
    const bad = counters.publish_errors > 0;
    return {
      level: bad ? DiagnosticLevel.ERROR : DiagnosticLevel.OK,
      message: bad ? `${counters.publish_errors} marker messages could not be published` : 'publishing',
      values,
    };
  });

  return {
    stop() {
      timer.cancel();
    },
  };
}
