// A node's declared parameters, read from the node itself: its start() runs on a stand-in RosNode
// that stops at declareParameters, so `vil run <node> --help` and `vil doctor` show the real specs
// (types, defaults, ranges, choices, descriptions) with no list here to drift out of date.
import { pino } from 'pino';
import type { ParamSpec, ParamSpecs } from '../runtime/params.js';
import { doubleText, rclScalar } from '../runtime/params_yaml.js';
import type { RosNode } from '../runtime/ros.js';
import type { NodeDefinition } from '../runtime/run.js';

class Captured extends Error {
  constructor(readonly specs: ParamSpecs) {
    super('parameters captured');
  }
}

/** A RosNode that records the first declareParameters call and stops start() there. */
function capturingNode(name: string, namespace: string): RosNode {
  const refuse = (what: string) => (): never => {
    throw new Error(`${name}: start() calls ${what} before declareParameters; its parameters cannot be read`);
  };
  return {
    name,
    namespace,
    logger: pino({ level: 'silent' }),
    useSimTime: false,
    declareParameters: (specs: ParamSpecs) => {
      throw new Captured(specs);
    },
    createPublisher: refuse('createPublisher'),
    createSubscription: refuse('createSubscription'),
    createTimer: refuse('createTimer'),
    now: () => ({ sec: 0, nanosec: 0 }),
    destroy: () => undefined,
  } as RosNode;
}

export async function captureParamSpecs(def: NodeDefinition, namespace = '/'): Promise<ParamSpecs> {
  try {
    await def.start(capturingNode(def.name, namespace));
  } catch (e) {
    if (e instanceof Captured) return e.specs;
    throw e;
  }
  throw new Error(`${def.name}: start() returned without declaring parameters`);
}

/** A default as a params file would write it for rcl to give it the declared type (10.0 for a double). */
function show(type: ParamSpec['type'], v: unknown): string {
  if (Array.isArray(v)) {
    const el = type.replace('_array', '') as ParamSpec['type'];
    return `[${v.map((x) => show(el, x)).join(', ')}]`;
  }
  if (type === 'double') return doubleText(v as number);
  if (type === 'string') {
    // Quoted only where rcl would read the text as something else (yes, 5, '').
    const s = v as string;
    return s === '' || rclScalar(s).type !== 'string' || /^[\s'"[{]|: |\s#/.test(s) ? JSON.stringify(s) : s;
  }
  return String(v);
}

/** "50..4000000", "≥ 1", "serial | topic", or "". */
function rangeOf(spec: ParamSpec): string {
  if (spec.type === 'string' && spec.choices) return spec.choices.join(' | ');
  if (spec.type === 'integer' || spec.type === 'double') {
    if (spec.min !== undefined && spec.max !== undefined) return `${spec.min}..${spec.max}`;
    if (spec.min !== undefined) return `≥ ${spec.min}`;
    if (spec.max !== undefined) return `≤ ${spec.max}`;
  }
  return '';
}

/** The parameter table of `vil run <node> --help`: name, type, default, range, then the description. */
export function formatParams(specs: ParamSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => [name, spec.type, show(spec.type, spec.default), rangeOf(spec)]);
  const head = ['parameter', 'type', 'default', 'range / choices'];
  const widths = head.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) => `  ${cells.map((x, c) => (c === cells.length - 1 ? x : x.padEnd(widths[c]))).join('  ')}`.trimEnd();
  const out = [line(head)];
  Object.values(specs).forEach((spec, i) => {
    out.push(line(rows[i]));
    out.push(`      ${spec.description}${spec.hint ? ` (${spec.hint})` : ''}`);
  });
  return `${out.join('\n')}\n`;
}
