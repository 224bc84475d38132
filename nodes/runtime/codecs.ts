// The CDR codec of a message type from the message registry: what both ROS implementations use
// (the local graph queues its bytes; rclnodejs publishes them as serialised messages and decodes
// raw subscriptions with it). Compiled on first use, once per type.
import { codecFor as compiledCodec, type CdrCodec } from '../cdr/codec.js';
import { messageRegistry, type MessageRegistry } from './msg_registry.js';

export type { CdrCodec } from '../cdr/codec.js';

export function codecFor(type: string, registry: MessageRegistry = messageRegistry()): CdrCodec {
  return compiledCodec(registry, type);
}
