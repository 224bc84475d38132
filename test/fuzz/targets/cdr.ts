// The CDR codec (nodes/cdr) for every type of vil's message registry. Inputs: random valid messages
// (every field, edge values: NaN, ±Infinity, -0, integer bounds, 64-bit extremes as bigint, empty,
// long and non-ASCII strings, typed and plain arrays), their encodings with byte edits (counts
// and lengths set to 0, 2^28, 2^31-1, 2^32-1, ...; bit flips, cuts, inserts), both byte orders,
// and random bytes behind a valid encapsulation header.
import fc from 'fast-check';
import { compileCodec, type CdrCodec } from '../../../nodes/cdr/codec.js';
import { CdrError } from '../../../nodes/cdr/errors.js';
import { plan, TYPED_ARRAY, type Element, type NumericType, type PlannedField } from '../../../nodes/cdr/schema.js';
import { ALLOCATORS } from '../../../nodes/cdr/slab.js';
import { messageRegistry } from '../../../nodes/runtime/msg_registry.js';
import { applyEdits, byteEdit } from '../mutate.js';
import { message } from '../messages.js';
import { invariant, sameData, show, type FuzzProbe, type FuzzTarget } from '../target.js';

type Struct = Element & { kind: 'struct' };

// Every typed array a decoder allocates goes through ALLOCATORS (H.A): counted here, so a decode
// that allocates more than its input could hold (issue 9, defect 9) is a finding even when it
// then fails. Wrapped before any codec is compiled (the closure compiler captures them).
let allocated = 0;
for (const key of Object.keys(ALLOCATORS) as (keyof typeof ALLOCATORS)[]) {
  const original = ALLOCATORS[key] as (n: number) => ArrayBufferView;
  const size = (globalThis as unknown as Record<string, { BYTES_PER_ELEMENT: number }>)[key].BYTES_PER_ELEMENT;
  (ALLOCATORS as Record<string, unknown>)[key] = (n: number) => {
    allocated += n * size;
    return original(n);
  };
}

const registry = messageRegistry();
const TYPES = registry.types().sort();
interface Compiled {
  type: string;
  root: Struct;
  generated: CdrCodec;
  closures: CdrCodec;
}
const compiled = new Map<string, Compiled>();
function codecs(type: string): Compiled {
  let c = compiled.get(type);
  if (!c) {
    c = { type, root: plan(registry, type), generated: compileCodec(registry, type), closures: compileCodec(registry, type, { codegen: false }) };
    compiled.set(type, c);
  }
  return c;
}

/** What decode must give back for a value: the shapes nodes/cdr promises (see codec.ts). */
function decodedShape(e: Element, v: unknown): unknown {
  if (e.kind === 'string') return v;
  if (e.kind === 'struct') {
    const o: Record<string, unknown> = {};
    for (const f of e.fields) o[f.name] = fieldShape(f, (v as Record<string, unknown>)[f.name]);
    return o;
  }
  const t = e.type;
  if (t === 'int64' || t === 'uint64') return BigInt(v as number | bigint);
  if (t === 'float32') return Math.fround(v as number);
  if (t !== 'bool' && t !== 'float64' && Object.is(v, -0)) return 0;
  return v;
}

function fieldShape(f: PlannedField, v: unknown): unknown {
  if (!f.array) return decodedShape(f.element, v);
  const items = Array.from(v as ArrayLike<unknown>).map((x) => decodedShape(f.element, x));
  const e = f.element;
  if (e.kind === 'primitive' && e.type !== 'bool') return (TYPED_ARRAY[e.type as NumericType] as unknown as { from(xs: unknown[]): unknown }).from(items);
  return items;
}

/** Decodes with both implementations: both refuse with a CdrError, or both give the same message. */
function decodeBoth(c: Compiled, bytes: Uint8Array): unknown {
  const results: ({ ok: true; value: unknown } | { ok: false; error: CdrError })[] = [];
  for (const codec of [c.generated, c.closures]) {
    allocated = 0;
    try {
      results.push({ ok: true, value: codec.decode(bytes) });
    } catch (e) {
      invariant(e instanceof CdrError, () => `${c.type}: decode threw ${(e as Error)?.name}: ${(e as Error)?.message} (not a CdrError) for ${bytes.length} bytes`);
      results.push({ ok: false, error: e });
    }
    invariant(allocated <= bytes.length, `${c.type}: decode allocated ${allocated} bytes of arrays for an input of ${bytes.length} bytes`);
  }
  const [g, i] = results;
  invariant(g.ok === i.ok, () => `${c.type}: generated decoder ${g.ok ? 'decodes' : `refuses (${(g as { error: Error }).error.message})`}, closures ${i.ok ? 'decode' : `refuse (${(i as { error: Error }).error.message})`}`);
  if (g.ok && i.ok) invariant(sameData(g.value, i.value), `${c.type}: generated and closure decoders give different messages`);
  return g.ok ? g.value : undefined;
}

export interface CdrInput {
  type: string;
  message: Record<string, unknown>;
  bigEndian: boolean;
  mode: 'roundtrip' | 'mutated' | 'random';
  edits: Parameters<typeof applyEdits>[1];
  random: Uint8Array;
}

export function checkRoundTrip(type: string, msg: Record<string, unknown>): Uint8Array {
  const c = codecs(type);
  let bytes: Uint8Array;
  try {
    bytes = c.generated.encode(msg);
  } catch (e) {
    invariant(false, `${type}: encode refused a valid message: ${(e as Error).message}\n  ${show(msg)}`);
  }
  const other = c.closures.encode(msg);
  invariant(sameData(bytes, other), `${type}: generated and closure encoders write different bytes`);
  const back = decodeBoth(c, bytes);
  const want = decodedShape(c.root, msg);
  invariant(back !== undefined && sameData(back, want), () => `${type}: decode(encode(m)) differs from m\n  m:    ${show(want)}\n  back: ${show(back)}`);
  return bytes;
}

/** Bytes that may not be a message of `type` (a header byte set to 00 00 makes the big-endian decoders read them). */
export function checkBytes(type: string, bytes: Uint8Array): void {
  decodeBoth(codecs(type), bytes);
}

const TYPE = fc.constantFrom(...TYPES);

const INPUT: fc.Arbitrary<CdrInput> = TYPE.chain((type) =>
  fc.record({
    type: fc.constant(type),
    message: message(codecs(type).root),
    bigEndian: fc.boolean(),
    mode: fc.constantFrom('roundtrip' as const, 'mutated' as const, 'mutated' as const, 'random' as const),
    edits: fc.array(byteEdit(8), { minLength: 1, maxLength: 6 }),
    random: fc.uint8Array({ maxLength: 256 }),
  }),
);

function run(x: CdrInput, probe: FuzzProbe): void {
  probe.begin(`${x.type} ${x.mode}`);
  const bytes = checkRoundTrip(x.type, x.message);
  if (x.mode === 'roundtrip') return;
  let input: Uint8Array;
  if (x.mode === 'mutated') input = applyEdits(bytes, x.edits);
  else {
    input = new Uint8Array(4 + x.random.length);
    input[1] = 1;
    input.set(x.random, 4);
  }
  if (x.bigEndian && input.length > 1) input[1] = 0;
  probe.note(Buffer.concat([Buffer.from(`${x.type}\n`), input]));
  checkBytes(x.type, input);
}

export const cdrTarget: FuzzTarget = {
  name: 'cdr',
  checks: [
    `for each of the ${TYPES.length} registry types: decode(encode(m)) = m for random valid messages (NaN, ±Inf, -0, integer and 64-bit bounds, unicode and empty strings, typed and plain arrays)`,
    'generated and closure encoders write the same bytes; generated and closure decoders give the same message or both refuse',
    'decode of mutated encodings (lengths and counts set to huge values, flips, cuts, inserts; either byte order) and of random bytes throws only CdrError',
    'a decode never allocates more bytes of arrays than its input holds (defect 9), even when it then fails; never hangs (watchdog)',
  ],
  property: (probe) =>
    fc.property(INPUT, (x) => {
      run(x, probe);
      return true;
    }),
  replay(name, bytes) {
    // Stored inputs: "pkg/msg/Type\n" then the bytes to decode.
    const nl = bytes.indexOf(10);
    invariant(nl > 0, `${name}: expected "pkg/msg/Type\\n" then the CDR bytes`);
    checkBytes(Buffer.from(bytes.subarray(0, nl)).toString('utf8'), bytes.subarray(nl + 1));
  },
  corpusFile: (x) => {
    const i = x as CdrInput;
    const bytes = i.mode === 'roundtrip' ? undefined : (() => {
      try {
      let b: Uint8Array;
      if (i.mode === 'mutated') b = applyEdits(codecs(i.type).generated.encode(i.message), i.edits);
      else {
        b = new Uint8Array(4 + i.random.length);
        b[1] = 1;
        b.set(i.random, 4);
      }
      if (i.bigEndian && b.length > 1) b[1] = 0;
      return b;
      } catch {
        return undefined;
      }
    })();
    return bytes ? { ext: '.cdr', bytes: Buffer.concat([Buffer.from(`${i.type}\n`), bytes]) } : undefined;
  },
};
