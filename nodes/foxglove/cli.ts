// `--foxglove [HOST:]PORT` for `vil run` and `vil demo`: starts the live view on the context and
// says what to open.
import type { RosContext } from '../runtime/ros.js';
import type { LocalContext } from '../runtime/local/context.js';
import { FoxgloveLiveView } from './server.js';
import { join } from 'node:path';
import { projectRoot } from '../runtime/msg_registry.js';
import { openUrls, type ListenAddress } from './address.js';

/** The shipped layout (config/ in the source tree, share/vil/config when installed). */
export function layoutPath(): string {
  return join(projectRoot(), 'config/foxglove/vil-demo.layout.json');
}

/** Starts the live view; refuses (with the alternative) on the real middleware. */
export async function startLiveView(context: RosContext, address: ListenAddress): Promise<FoxgloveLiveView> {
  if (context.implementation !== 'local') {
    throw new Error('--foxglove serves the local graph; on ROS 2 (rclnodejs) run foxglove_bridge instead: ros2 launch foxglove_bridge foxglove_bridge_launch.xml port:=8765');
  }
  return FoxgloveLiveView.start(context as LocalContext, address);
}

/** The lines a person needs to open the live view. */
export function openInstructions(view: FoxgloveLiveView): string {
  const u = openUrls(view.host, view.port);
  const lines = [
    `Live view (Foxglove WebSocket) on ${u.ws}`,
    `  Foxglove:   ${u.foxglove}`,
    `              ${u.foxgloveWeb}`,
    `  Lichtblick: ${u.lichtblick}`,
    `              (or Open connection → Foxglove WebSocket → ${u.ws})`,
    `  Layout:     ${layoutPath()} (Layouts → Import from file)`,
  ];
  if (view.host !== '127.0.0.1' && view.host !== '::1') lines.push(`  Listening on ${view.host}: anyone who reaches this port can watch the graph and publish onto the topics vil subscribes to.`);
  return `${lines.join('\n')}\n`;
}
