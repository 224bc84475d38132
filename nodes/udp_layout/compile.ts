// Layout file → checked plan → encoder, in one call at start-up. Every problem is a ConfigError
// naming the layout file, line and key; warnings (MTU) are returned for the node to log.
import { ConfigError } from '../runtime/errors.js';
import { loadLayoutFile, parseLayout, type LayoutDoc } from './schema.js';
import { buildPlan, type LayoutPlan } from './plan.js';
import { PacketEncoder } from './encoder.js';
import type { TypeResolver } from './sources.js';

export interface CompiledLayout {
  plan: LayoutPlan;
  encoder: PacketEncoder;
  /** The ROS type the layout reads ("pkg/msg/Type"). */
  messageType: string;
  warnings: string[];
}

function sameType(a: string, b: string): boolean {
  return a.replace('/msg/', '/') === b.replace('/msg/', '/');
}

/**
 * Compiles a layout for messages of `messageType` (from the node's config; the layout's own
 * `message` key must agree when both are given, and one of them is required).
 */
export function compileLayout(doc: LayoutDoc, resolver: TypeResolver, messageType?: string): CompiledLayout {
  const type = messageType ?? doc.message;
  if (!type) {
    throw new ConfigError({ source: doc.where([]), key: 'message', problem: 'the layout does not say which ROS message type it reads', fix: 'add `message: pkg/msg/Type` to the layout' });
  }
  if (messageType && doc.message && !sameType(messageType, doc.message)) {
    throw new ConfigError({ source: doc.where(['message']), key: 'message', problem: `the layout reads ${doc.message} but is used for ${messageType}`, fix: 'use a layout written for that type, or correct `message`' });
  }
  if (!resolver.has(type)) {
    throw new ConfigError({ source: doc.where(['message']), key: 'message', problem: `message type ${type} is not known`, fix: 'check the name (pkg/msg/Type)' });
  }
  const plan = buildPlan(doc);
  const encoder = new PacketEncoder(plan, resolver, type);
  return { plan, encoder, messageType: type, warnings: plan.warnings };
}

export function compileLayoutFile(file: string, resolver: TypeResolver, messageType?: string): CompiledLayout {
  return compileLayout(loadLayoutFile(file), resolver, messageType);
}

/** Plan only (no message type needed): what the decoders use. */
export function planLayoutFile(file: string): LayoutPlan {
  return buildPlan(loadLayoutFile(file));
}

export function planLayoutText(text: string, label: string): LayoutPlan {
  return buildPlan(parseLayout(text, label));
}
