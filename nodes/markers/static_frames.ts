// Sensor mounting frames from the `static_frames` parameter → /tf_static transforms.
// Each entry is one string "child parent x y z roll pitch yaw" (metres, radians; roll/pitch/yaw
// about the parent's fixed x, y, z axes as tf2's setRPY and static_transform_publisher's
// --roll --pitch --yaw). A string list keeps it a plain ROS parameter (settable with -p and in a
// params file) while one line per frame stays readable.
import { ConfigError } from '../runtime/errors.js';
import type { TransformStampedMsg } from '../runtime/msg_types.js';
import { quaternionFromRpy } from './geometry.js';

export interface StaticFrame {
  child: string;
  parent: string;
  x: number;
  y: number;
  z: number;
  roll: number;
  pitch: number;
  yaw: number;
}

const FORMAT = '"child parent x y z roll pitch yaw" (metres, radians), e.g. "radar_esr base_link 3.7 0 0.45 0 0 0"';

export interface StaticFramesContext {
  /** Where the list came from, for errors (the parameter source). */
  source: string;
  /** The parameter name, e.g. "static_frames". */
  key: string;
  /** Frames published elsewhere (map, base_link): never a static child here. */
  reservedChildren: readonly string[];
}

/** Parses and validates the entries; throws ConfigError naming the entry and the fix. */
export function parseStaticFrames(entries: readonly string[], ctx: StaticFramesContext): StaticFrame[] {
  const frames: StaticFrame[] = [];
  const byChild = new Map<string, StaticFrame>();
  entries.forEach((entry, i) => {
    const key = `${ctx.key}[${i}]`;
    const fail = (problem: string, fix: string): never => {
      throw new ConfigError({ source: ctx.source, key, problem: `"${entry}": ${problem}`, fix });
    };
    const tokens = entry.trim().split(/\s+/).filter((t) => t !== '');
    if (tokens.length !== 8) fail(`expected 8 fields, found ${tokens.length}`, `write each entry as ${FORMAT}`);
    const [child, parent, ...numbers] = tokens;
    for (const [what, id] of [['child', child], ['parent', parent]] as const) {
      // tf2 refuses frame ids with a leading slash (a ROS 1 habit).
      if (id.startsWith('/')) fail(`${what} frame "${id}" starts with "/"`, `write it without the slash: "${id.replace(/^\/+/, '')}"`);
    }
    if (child === parent) fail(`child and parent are both "${child}"`, 'name the sensor frame first, then the frame it is mounted on');
    if (ctx.reservedChildren.includes(child)) {
      fail(`"${child}" is published by the node itself (map → base_link from the ego pose)`, `use "${child}" only as a parent; the child is the sensor frame`);
    }
    const names = ['x', 'y', 'z', 'roll', 'pitch', 'yaw'];
    const values = numbers.map((t, j) => {
      const v = Number(t);
      if (t === '' || !Number.isFinite(v)) fail(`${names[j]} "${t}" is not a number`, `write ${FORMAT}`);
      return v;
    });
    for (let j = 3; j < 6; j++) {
      if (Math.abs(values[j]) > 2 * Math.PI) {
        fail(`${names[j]} ${values[j]} is beyond ±2π`, `angles are radians (90° = 1.5708); write ${FORMAT}`);
      }
    }
    if (byChild.has(child)) fail(`frame "${child}" is defined twice (a frame has one parent)`, `keep one entry for "${child}"`);
    const frame: StaticFrame = { child, parent, x: values[0], y: values[1], z: values[2], roll: values[3], pitch: values[4], yaw: values[5] };
    byChild.set(child, frame);
    frames.push(frame);
  });
  // A cycle (a → b → a) would make tf2 refuse every lookup through those frames.
  for (const f of frames) {
    const seen = new Set<string>([f.child]);
    for (let p = byChild.get(f.parent); p; p = byChild.get(p.parent)) {
      if (seen.has(p.child)) {
        throw new ConfigError({
          source: ctx.source,
          key: ctx.key,
          problem: `frames ${[...seen].join(' → ')} form a cycle`,
          fix: 'each sensor frame names the frame it is mounted on; follow the parents and break the loop',
        });
      }
      seen.add(p.child);
    }
  }
  return frames;
}

/** The TransformStamped of each frame, stamped `stamp` (static transforms hold at any time). */
export function staticTransforms(frames: readonly StaticFrame[], stamp: { sec: number; nanosec: number }): TransformStampedMsg[] {
  return frames.map((f) => ({
    header: { stamp: { sec: stamp.sec, nanosec: stamp.nanosec }, frame_id: f.parent },
    child_frame_id: f.child,
    transform: {
      translation: { x: f.x, y: f.y, z: f.z },
      rotation: quaternionFromRpy(f.roll, f.pitch, f.yaw),
    },
  }));
}
