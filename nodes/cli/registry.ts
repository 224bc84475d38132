// Every node vil ships, by its executable name. Loaded lazily so `vil run rtk_serial` never loads
// the CAN addon and a machine without SocketCAN still runs the serial node.
import type { NodeDefinition } from '../runtime/run.js';

export interface NodeEntry {
  description: string;
  load(): Promise<NodeDefinition>;
}

export const NODES: Record<string, NodeEntry> = {
  rtk_serial: {
    description: 'RTK receiver on a serial port → raw NMEA, NavSatFix, velocity, heading, status',
    load: async () => (await import('../rtk_serial/main.js')).rtkSerialNode,
  },
  can_bridge: {
    description: 'vehicle CAN (SocketCAN, candump log or raw topic) → raw frames, decoded signals, vehicle state, object lists',
    load: async () => (await import('../can_bridge/main.js')).canBridgeNode,
  },
  markers: {
    description: 'object lists, ego pose, GNSS covariance → rviz MarkerArray on vil/markers, /tf, /tf_static',
    load: async () => (await import('../markers/main.js')).markersNode,
  },
  sim_pose: {
    description: 'RTK fix + heading + velocity → ego pose in the simulator map frame (UDP layout, PoseStamped, CARLA)',
    load: async () => (await import('../sim_pose/main.js')).simPoseNode,
  },
  dspace_relay: {
    description: 'simulator topics → fixed binary UDP layouts for a dSPACE/Simulink target (routes from YAML)',
    load: async () => (await import('../dspace_relay/main.js')).dspaceRelayNode,
  },
};
