// What the CDR compiler needs to know about message types, and the plan it compiles from.
//
// A CdrSchema hands out each type's fields (the message registry is one; so is a recording's own
// schema text, see nodes/runtime/local/mcap_read.ts). plan() resolves a type once into a tree of
// wire elements (structs inlined, arrays with their kind, strings with their bound) that both the
// code generator and the closure compiler walk; everything that can be refused about a type
// (wstring, unknown primitive, bad field name) is refused here, at compile time.

export interface CdrField {
  name: string;
  /** A primitive ('float64', 'string', 'uint8', 'byte', 'char', ...) or, when isComplex, a type name the schema knows. */
  type: string;
  isComplex: boolean;
  isArray: boolean;
  /** Fixed-size array: `float64[9]`. */
  arrayLength?: number;
  /** Bounded sequence: `int32[<=5]`. */
  arrayUpperBound?: number;
  /** Bounded string: `string<=10`. */
  upperBound?: number;
}

export interface CdrSchema {
  /** The type's fields in .msg order, constants excluded. Throws for a type it does not know. */
  fields(type: string): readonly CdrField[];
}

export type NumericType = 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64';
export type PrimitiveType = NumericType | 'bool';

/** Wire size (and CDR alignment) of each fixed-size primitive. */
export const PRIMITIVE_SIZE: Record<PrimitiveType, 1 | 2 | 4 | 8> = {
  bool: 1,
  int8: 1,
  uint8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  int64: 8,
  uint64: 8,
  float32: 4,
  float64: 8,
};

/** ROS 2 aliases: `byte` is an octet and `char` a uint8 on the wire (rosidl's legacy mapping). */
const ALIASES: Record<string, PrimitiveType> = { byte: 'uint8', char: 'uint8' };

/** The typed array a numeric array field decodes to (and may be given as). */
export const TYPED_ARRAY: Record<NumericType, { name: string; BYTES_PER_ELEMENT: number }> = {
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
  int64: BigInt64Array,
  uint64: BigUint64Array,
  float32: Float32Array,
  float64: Float64Array,
};

export type Element =
  | { kind: 'primitive'; type: PrimitiveType }
  | { kind: 'string'; bound?: number }
  | { kind: 'struct'; type: string; fields: PlannedField[] };

export interface PlannedField {
  name: string;
  element: Element;
  /** undefined: a single value. */
  array?: { fixed?: number; bound?: number };
  /** The field as written in a .msg file, for messages: "float64[9]", "string<=8", "geometry_msgs/msg/Point[]". */
  notation: string;
}

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

export function isNumeric(t: PrimitiveType): t is NumericType {
  return t !== 'bool';
}

/** Resolves `type` and everything it contains. Throws an Error naming the type and field for anything CDR cannot carry. */
export function plan(schema: CdrSchema, type: string): Element & { kind: 'struct' } {
  const structs = new Map<string, Element & { kind: 'struct' }>();
  const active = new Set<string>();
  const struct = (t: string): Element & { kind: 'struct' } => {
    const done = structs.get(t);
    if (done) return done;
    if (active.has(t)) throw new Error(`${type}: message type ${t} contains itself, which no wire format can carry`);
    active.add(t);
    const fields = schema.fields(t).map((f): PlannedField => {
      if (!FIELD_NAME.test(f.name)) throw new Error(`${t}: field name ${JSON.stringify(f.name)} is not a valid ROS field name`);
      let element: Element;
      if (f.isComplex) element = struct(f.type);
      else if (f.type === 'string') element = f.upperBound !== undefined ? { kind: 'string', bound: f.upperBound } : { kind: 'string' };
      else if (f.type === 'wstring') throw new Error(`${t}: field "${f.name}" is a wstring, whose CDR layout is implementation-defined; use string`);
      else {
        const p = ALIASES[f.type] ?? (f.type in PRIMITIVE_SIZE ? (f.type as PrimitiveType) : undefined);
        if (p === undefined) throw new Error(`${t}: field "${f.name}" has type "${f.type}", which is not a ROS 2 primitive type`);
        element = { kind: 'primitive', type: p };
      }
      const base = f.isComplex ? f.type : f.upperBound !== undefined ? `${f.type}<=${f.upperBound}` : element.kind === 'primitive' ? element.type : f.type;
      if (!f.isArray) return { name: f.name, element, notation: base };
      const fixed = f.arrayLength;
      const bound = fixed === undefined ? f.arrayUpperBound : undefined;
      for (const n of [fixed, bound]) {
        if (n !== undefined && !(Number.isInteger(n) && n >= 0)) throw new Error(`${t}: field "${f.name}" has array size ${n}`);
      }
      const notation = fixed !== undefined ? `${base}[${fixed}]` : bound !== undefined ? `${base}[<=${bound}]` : `${base}[]`;
      return { name: f.name, element, array: { ...(fixed !== undefined ? { fixed } : {}), ...(bound !== undefined ? { bound } : {}) }, notation };
    });
    active.delete(t);
    const s = { kind: 'struct' as const, type: t, fields };
    structs.set(t, s);
    return s;
  };
  return struct(type);
}

/** The fewest bytes one element can take on the wire (alignment aside): bounds sequence lengths on decode. */
export function minWireSize(e: Element): number {
  switch (e.kind) {
    case 'primitive':
      return PRIMITIVE_SIZE[e.type];
    case 'string':
      return 4;
    case 'struct': {
      // ROS 2 gives an empty message one uint8 member ("structure_needs_at_least_one_member").
      if (e.fields.length === 0) return 1;
      let n = 0;
      for (const f of e.fields) {
        if (f.array === undefined) n += minWireSize(f.element);
        else if (f.array.fixed !== undefined) n += f.array.fixed * minWireSize(f.element);
        else n += 4;
      }
      return n;
    }
  }
}

/**
 * The wire layout of a planned type as one string: field names, primitive types, bounds and array
 * kinds, nested messages inline ("{stamp:{sec:int32,nanosec:uint32},frame_id:string}"). Two
 * definitions with the same signature put the same bytes on the wire for the same message.
 */
export function wireSignature(e: Element): string {
  if (e.kind === 'primitive') return e.type;
  if (e.kind === 'string') return e.bound !== undefined ? `string<=${e.bound}` : 'string';
  return `{${e.fields
    .map((f) => {
      const a = f.array;
      const suffix = a === undefined ? '' : a.fixed !== undefined ? `[${a.fixed}]` : a.bound !== undefined ? `[<=${a.bound}]` : '[]';
      return `${f.name}:${wireSignature(f.element)}${suffix}`;
    })
    .join(',')}}`;
}
