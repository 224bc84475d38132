// @foxglove/ws-protocol, the protocol's own library, as ES module imports. The package is CommonJS
// and re-exports its classes through getters Node cannot see statically, so the classes come from
// the default export; enums and types are named exports.
import wsProtocol from '@foxglove/ws-protocol';

export const { FoxgloveServer, FoxgloveClient } = wsProtocol;
export type FoxgloveServer = InstanceType<typeof wsProtocol.FoxgloveServer>;
export type FoxgloveClient = InstanceType<typeof wsProtocol.FoxgloveClient>;
export { BinaryOpcode, ClientBinaryOpcode, ServerCapability, StatusLevel } from '@foxglove/ws-protocol';
export type { Channel, ChannelId, ClientChannel, IWebSocket, Parameter, ParameterValue, SubscriptionId } from '@foxglove/ws-protocol';

/** The one sub-protocol this server speaks (and Foxglove and Lichtblick ask for). */
export const SUBPROTOCOL = 'foxglove.websocket.v1';
