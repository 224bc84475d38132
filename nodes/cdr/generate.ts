// Generates straight-line JavaScript for one message type's CDR encoder and decoder (compiled
// once with `new Function`, as the DBC decoders are). Nested messages are inlined; only arrays
// loop. Offsets inside a run of fixed-size fields are literals (o + 12); alignment padding is
// resolved at compile time wherever the offset modulo 8 is known, and computed otherwise.
//
// Wire format (OMG CDR as ROS 2 uses it, XCDR1 "plain CDR"): a 4-byte encapsulation header
// (00 01 = little-endian, 00 00 = big-endian) then the fields in .msg order, each primitive aligned
// to its size (1, 2, 4, 8) relative to the byte after the header, padding zero; a string is a uint32
// byte count including the NUL, the UTF-8 bytes and a NUL; a sequence is a uint32 element count and
// the elements; a fixed array is its elements only; an empty sequence is not even aligned (rmw_cyclonedds
// serialize_many); a message without fields is one zero byte.
//
// The encoder checks every value as it writes it (the same acceptance as validate.ts) and returns
// -1 at the first value it refuses; the codec then runs the validator to say what and where.
// The decoder checks every read against the end of the input and every length against the bytes
// that remain before it allocates anything, and throws a CdrError naming the field path and offset.
// Only names checked by plan() and numbers computed here go into the generated source.
import { minWireSize, PRIMITIVE_SIZE, TYPED_ARRAY, type Element, type NumericType, type PlannedField, type PrimitiveType } from './schema.js';

/** What is known at compile time about the offset (relative to the byte after the header): o ≡ rem (mod mod). */
interface Align {
  mod: number;
  rem: number;
}

/** The strongest statement true of both states (a loop that runs zero or more times, an empty sequence). */
function meet(a: Align, b: Align): Align {
  let m = Math.min(a.mod, b.mod);
  while (m > 1 && a.rem % m !== b.rem % m) m >>= 1;
  return { mod: m, rem: a.rem % m };
}

function same(a: Align, b: Align): boolean {
  return a.mod === b.mod && a.rem === b.rem;
}

const FLOAT32_MAX = '3.4028234663852886e38';

/** True on little-endian hosts (x86-64, ARM64): typed arrays then copy byte for byte to and from little-endian CDR. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Typed-array element counts from which a bulk byte copy beats an element loop. */
const BULK_MIN_ELEMENTS = 16;

const DV_SET: Record<Exclude<PrimitiveType, 'bool' | 'int8' | 'uint8'>, string> = {
  int16: 'setInt16',
  uint16: 'setUint16',
  int32: 'setInt32',
  uint32: 'setUint32',
  int64: 'setBigInt64',
  uint64: 'setBigUint64',
  float32: 'setFloat32',
  float64: 'setFloat64',
};
const DV_GET: Record<Exclude<PrimitiveType, 'bool' | 'int8' | 'uint8'>, string> = {
  int16: 'getInt16',
  uint16: 'getUint16',
  int32: 'getInt32',
  uint32: 'getUint32',
  int64: 'getBigInt64',
  uint64: 'getBigUint64',
  float32: 'getFloat32',
  float64: 'getFloat64',
};

/** A check that is true when `x` is NOT acceptable as a value of `t` (typeof first: bitwise operators throw on bigints and call valueOf on objects). */
function refuses(t: PrimitiveType, x: string): string {
  switch (t) {
    case 'bool':
      return `typeof ${x} !== 'boolean'`;
    case 'uint8':
      return `typeof ${x} !== 'number' || (${x} & 255) !== ${x}`;
    case 'int8':
      return `typeof ${x} !== 'number' || ((${x} << 24) >> 24) !== ${x}`;
    case 'uint16':
      return `typeof ${x} !== 'number' || (${x} & 65535) !== ${x}`;
    case 'int16':
      return `typeof ${x} !== 'number' || ((${x} << 16) >> 16) !== ${x}`;
    case 'uint32':
      return `typeof ${x} !== 'number' || (${x} >>> 0) !== ${x}`;
    case 'int32':
      return `typeof ${x} !== 'number' || (${x} | 0) !== ${x}`;
    case 'float32':
      return `typeof ${x} !== 'number' || (${x} > ${FLOAT32_MAX} && ${x} !== Infinity) || (${x} < -${FLOAT32_MAX} && ${x} !== -Infinity)`;
    case 'float64':
      return `typeof ${x} !== 'number'`;
    case 'int64':
    case 'uint64':
      throw new Error('64-bit integers are checked where they are written');
  }
}

/** Statements writing the primitive `x` (already checked, or from a typed array of its own type) at `off`. */
function write(t: PrimitiveType, x: string, off: string): string {
  switch (t) {
    case 'bool':
      return `u8[${off}] = ${x} ? 1 : 0;`;
    case 'uint8':
    case 'int8':
      return `u8[${off}] = ${x};`;
    default:
      return `dv.${DV_SET[t]}(${off}, ${x}, true);`;
  }
}

/** Checks and writes a 64-bit integer given as a bigint or a safe-integer number. */
function write64(t: 'int64' | 'uint64', x: string, off: string, plainArrayElement: boolean): string[] {
  const [min, max] = t === 'int64' ? ['-9223372036854775808n', '9223372036854775807n'] : ['0n', '18446744073709551615n'];
  const big = `if (${x} < ${min} || ${x} > ${max}) return -1; dv.${DV_SET[t]}(${off}, ${x}, true);`;
  // Elements of a plain int64[] must be bigints (validate.ts says so); single fields may be safe integers.
  if (plainArrayElement) return [`if (typeof ${x} !== 'bigint') return -1;`, big];
  return [
    `if (typeof ${x} === 'bigint') { ${big} }`,
    `else if (Number.isSafeInteger(${x})${t === 'uint64' ? ` && ${x} >= 0` : ''}) { dv.setUint32(${off}, ${x} >>> 0, true); dv.${t === 'int64' ? 'setInt32' : 'setUint32'}(${off} + 4, Math.floor(${x} / 4294967296), true); }`,
    'else return -1;',
  ];
}

function plus(base: string, k: number): string {
  return k === 0 ? base : `${base} + ${k}`;
}

export interface GeneratedEncoder {
  source: string;
  /** Key sets of the structs (H.K[i]) for the extra-field check. */
  keySets: Set<string>[];
}

/**
 * The encoder: `function (m) → end offset, or -1 when a value is refused`, writing into W.u8/W.dv
 * (grown through W.grow) from offset 0, header included.
 */
export function generateEncoder(root: Element & { kind: 'struct' }, options: { bulk: boolean }): GeneratedEncoder {
  const lines: string[] = [];
  const keySets: Set<string>[] = [];
  let indent = '  ';
  let counter = 0;
  let al: Align = { mod: 8, rem: 0 };
  /** Static offset from `o` inside the current run. */
  let k = 0;
  /** The open run of fixed-size writes: the line holding its capacity check, and the bytes it may write. */
  let run: { at: number; need: number } | undefined;

  const fresh = (p: string) => `${p}${counter++}`;
  const emit = (line: string) => lines.push(indent + line);
  const block = (open: string, body: () => void, close = '}') => {
    emit(open);
    const saved = indent;
    indent += '  ';
    body();
    indent = saved;
    emit(close);
  };
  const flushK = () => {
    if (k !== 0) emit(`o += ${k};`);
    k = 0;
  };
  const openRun = () => {
    if (run) return;
    lines.push('');
    run = { at: lines.length - 1, need: 0 };
  };
  const closeRun = () => {
    flushK();
    if (!run) return;
    lines[run.at] = run.need > 0 ? `${indent}if (o + ${run.need} > u8.length) { W.grow(o + ${run.need}); u8 = W.u8; dv = W.dv; }` : '';
    run = undefined;
  };
  const advance = (n: number) => {
    k += n;
    run!.need += n;
    al = { mod: al.mod, rem: (al.rem + n) % al.mod };
  };
  /** Aligns inside a run (capacity counted by the run). */
  const alignRun = (a: number) => {
    if (a === 1) return;
    openRun();
    if (al.mod >= a) {
      const pad = (a - (al.rem % a)) % a;
      for (let i = 0; i < pad; i++) emit(`u8[${plus('o', k + i)}] = 0;`);
      advance(pad);
      return;
    }
    flushK();
    emit(dynamicAlign(a));
    run!.need += a - 1;
    al = { mod: a, rem: 0 };
  };
  /** Aligns outside any run; the caller has ensured capacity for the padding. */
  const alignDirect = (a: number) => {
    if (a === 1) return;
    if (al.mod >= a) {
      const pad = (a - (al.rem % a)) % a;
      if (pad > 0) {
        for (let i = 0; i < pad; i++) emit(`u8[${plus('o', i)}] = 0;`);
        emit(`o += ${pad};`);
      }
      al = { mod: al.mod, rem: (al.rem + pad) % al.mod };
      return;
    }
    emit(dynamicAlign(a));
    al = { mod: a, rem: 0 };
  };
  const dynamicAlign = (a: number): string => {
    // Zero the widest padding unconditionally: the aligned value overwrites what is not padding.
    if (a === 2) return 'u8[o] = 0; o = (o + 1) & -2;';
    if (a === 4) return 'dv.setUint32(o, 0, true); o = (o + 3) & -4;';
    return 'dv.setFloat64(o, 0, true); o = ((o + 3) & -8) + 4;';
  };
  const grow = (need: string) => emit(`if (${need} > u8.length) { W.grow(${need}); u8 = W.u8; dv = W.dv; }`);

  /** A loop body compiled until the alignment known at its start holds at its end too. */
  const loop = (head: string, body: () => void) => {
    closeRun();
    const entry = al;
    let start = entry;
    for (;;) {
      const mark = lines.length;
      al = start;
      block(head, () => {
        body();
        closeRun();
      });
      const next = meet(start, al);
      if (same(next, start)) break;
      lines.length = mark;
      start = next;
    }
    al = meet(entry, al);
  };

  const primitive = (t: PrimitiveType, x: string) => {
    const size = PRIMITIVE_SIZE[t];
    alignRun(size);
    openRun();
    if (t === 'int64' || t === 'uint64') for (const l of write64(t, x, plus('o', k), false)) emit(l);
    else {
      emit(`if (${refuses(t, x)}) return -1;`);
      emit(write(t, x, plus('o', k)));
    }
    advance(size);
  };

  const string = (x: string, bound: number | undefined) => {
    emit(`if (typeof ${x} !== 'string') return -1;`);
    if (bound !== undefined) emit(`if (${x}.length > ${bound}) return -1;`);
    closeRun();
    const n = fresh('n');
    const p = fresh('p');
    emit(`const ${n} = ${x}.length;`);
    // Padding, length, at most 3 UTF-8 bytes per UTF-16 unit, NUL.
    grow(`o + ${n} * 3 + 8`);
    alignDirect(4);
    // Empty strings (most of a marker's) need no call; Buffer's UTF-8 writer beats a charCodeAt
    // loop even for short ASCII strings (measured).
    emit(`if (${n} === 0) { dv.setUint32(o, 1, true); u8[o + 4] = 0; o += 5; }`);
    emit(`else { const ${p} = o; o += 4; o += W.utf8(${x}, o); u8[o++] = 0; dv.setUint32(${p}, o - ${p} - 4, true); }`);
    al = { mod: 1, rem: 0 };
  };

  const struct = (s: Element & { kind: 'struct' }, expr: string) => {
    const v = fresh('v');
    emit(`const ${v} = ${expr};`);
    emit(`if (typeof ${v} !== 'object' || ${v} === null || Array.isArray(${v}) || ArrayBuffer.isView(${v})) return -1;`);
    if (s.fields.length === 0) {
      openRun();
      emit(`u8[${plus('o', k)}] = 0;`);
      advance(1);
    }
    for (const f of s.fields) field(f, `${v}[${JSON.stringify(f.name)}]`);
    // Extra (misspelt) fields: for-in counts enumerable keys as validate.ts does; the key scan runs only on a mismatch.
    keySets.push(new Set(s.fields.map((f) => f.name)));
    emit(`{ let c = 0; for (const _ in ${v}) c++; if (c !== ${s.fields.length} && H.unknownKey(${v}, H.K[${keySets.length - 1}])) return -1; }`);
  };

  const element = (e: Element, x: string) => {
    if (e.kind === 'primitive') primitive(e.type, x);
    else if (e.kind === 'string') string(x, e.bound);
    else struct(e, x);
  };

  const field = (f: PlannedField, expr: string) => {
    if (!f.array) {
      if (f.element.kind === 'struct') struct(f.element, expr);
      else {
        const x = fresh('x');
        emit(`const ${x} = ${expr};`);
        element(f.element, x);
      }
      return;
    }
    const x = fresh('x');
    emit(`const ${x} = ${expr};`);
    const e = f.element;
    if (e.kind === 'primitive') primitiveArray(e.type, x, f.array);
    else {
      const { fixed, bound } = f.array;
      const n = fresh('n');
      const i = fresh('i');
      if (fixed !== undefined) {
        emit(`if (!Array.isArray(${x}) || ${x}.length !== ${fixed}) return -1;`);
        if (fixed === 0) return;
        loop(`for (let ${i} = 0; ${i} < ${fixed}; ${i}++) {`, () => elementOf(e, `${x}[${i}]`));
        return;
      }
      emit(`if (!Array.isArray(${x})) return -1;`);
      closeRun();
      emit(`const ${n} = ${x}.length;`);
      if (bound !== undefined) emit(`if (${n} > ${bound}) return -1;`);
      grow('o + 8');
      alignDirect(4);
      emit(`dv.setUint32(o, ${n}, true); o += 4;`);
      al = { mod: al.mod, rem: (al.rem + 4) % al.mod };
      loop(`for (let ${i} = 0; ${i} < ${n}; ${i}++) {`, () => elementOf(e, `${x}[${i}]`));
    }
  };

  /** One element of a string or struct array (the element expression is read once). */
  const elementOf = (e: Element, expr: string) => {
    if (e.kind === 'struct') struct(e, expr);
    else {
      const y = fresh('y');
      emit(`const ${y} = ${expr};`);
      element(e, y);
    }
  };

  const primitiveArray = (t: PrimitiveType, x: string, arr: { fixed?: number; bound?: number }) => {
    const size = PRIMITIVE_SIZE[t];
    const typed = t === 'bool' ? undefined : TYPED_ARRAY[t as NumericType].name;
    const wide = t === 'int64' || t === 'uint64';
    const i = fresh('i');
    const y = fresh('y');
    const checkAndWrite = (off: string) => (wide ? write64(t, y, off, true) : [`if (${refuses(t, y)}) return -1;`, write(t, y, off)]);
    /** Typed-array elements need no check; large ones are copied as bytes when the layouts agree. */
    const typedWrite = (n: string, base: string, bulkPossible: boolean) => {
      if (t === 'uint8' || t === 'int8') {
        emit(`u8.set(${x}, ${base});`);
        return;
      }
      const loopWrite = `for (let ${i} = 0; ${i} < ${n}; ${i}++) ${write(t, `${x}[${i}]`, `${base} + ${i} * ${size}`)}`;
      if (options.bulk && bulkPossible) emit(`if (${n} >= ${BULK_MIN_ELEMENTS}) u8.set(new Uint8Array(${x}.buffer, ${x}.byteOffset, ${n} * ${size}), ${base}); else ${loopWrite}`);
      else emit(loopWrite);
    };
    if (arr.fixed !== undefined) {
      const n = arr.fixed;
      if (n > 0) alignRun(size);
      openRun();
      const base = plus('o', k);
      block(`if (Array.isArray(${x}) && ${x}.length === ${n}) {`, () => {
        block(`for (let ${i} = 0; ${i} < ${n}; ${i}++) {`, () => {
          emit(`const ${y} = ${x}[${i}];`);
          for (const l of checkAndWrite(`${base} + ${i} * ${size}`)) emit(l);
        });
      }, typed ? '}' : '} else return -1;');
      if (typed) {
        block(`else if (${x} instanceof ${typed} && ${x}.length === ${n}) {`, () => typedWrite(String(n), base, n >= BULK_MIN_ELEMENTS), '} else return -1;');
      }
      if (n > 0) advance(n * size);
      return;
    }
    closeRun();
    const n = fresh('n');
    emit(`let ${n};`);
    emit(`if (Array.isArray(${x})) ${n} = ${x}.length;${typed ? ` else if (${x} instanceof ${typed}) ${n} = ${x}.length;` : ''} else return -1;`);
    if (arr.bound !== undefined) emit(`if (${n} > ${arr.bound}) return -1;`);
    // Padding, count, padding, elements.
    grow(`o + 14 + ${n} * ${size}`);
    alignDirect(4);
    emit(`dv.setUint32(o, ${n}, true); o += 4;`);
    al = { mod: al.mod, rem: (al.rem + 4) % al.mod };
    const afterCount = al;
    if (size > 4) {
      // rmw_cyclonedds aligns the elements only when there are any.
      const mark = lines.length;
      alignDirect(size);
      if (lines.length > mark) {
        const aligned = lines.splice(mark);
        emit(`if (${n} > 0) { ${aligned.map((l) => l.trim()).join(' ')} }`);
      }
    }
    const elementsStart = al;
    block(`if (Array.isArray(${x})) {`, () => {
      block(`for (let ${i} = 0; ${i} < ${n}; ${i}++) {`, () => {
        emit(`const ${y} = ${x}[${i}];`);
        for (const l of checkAndWrite(`o + ${i} * ${size}`)) emit(l);
      });
    }, typed ? '} else {' : '}');
    if (typed) {
      const saved = indent;
      indent += '  ';
      typedWrite(n, 'o', true);
      indent = saved;
      emit('}');
    }
    emit(size === 1 ? `o += ${n};` : `o += ${n} * ${size};`);
    // Non-empty: aligned start plus whole elements; empty: right after the count.
    al = meet(afterCount, meet(elementsStart, { mod: size, rem: 0 }));
  };

  // ---- root ----
  emit('let u8 = W.u8, dv = W.dv, o = 4;');
  emit('dv.setUint32(0, 0x100, true);'); // 00 01 00 00: CDR_LE, no options
  struct(root, 'm');
  closeRun();
  emit('return o;');
  const source = `"use strict";\nreturn function encode(m) {\n${lines.filter((l) => l !== '').join('\n')}\n};`;
  return { source, keySets };
}

/**
 * The decoder for one byte order: `function (u8, dv, end) → message`, reading from offset 4; throws
 * through H.fail(path, offset, problem).
 */
export function generateDecoder(root: Element & { kind: 'struct' }, options: { littleEndian: boolean; bulk: boolean }): string {
  const le = options.littleEndian ? 'true' : 'false';
  // Typed arrays are host-endian: byte copies only when the input's order is the host's (little).
  const bulk = options.bulk && options.littleEndian;
  const lines: string[] = [];
  let indent = '  ';
  let counter = 0;
  let al: Align = { mod: 8, rem: 0 };
  let k = 0;
  /** The open run of fixed-size reads: the line holding its bounds check, the exact bytes it reads, the path of its first field. */
  let run: { at: number; need: number; reads: { k: number; size: number; path: string }[] } | undefined;

  const fresh = (p: string) => `${p}${counter++}`;
  const emit = (line: string) => lines.push(indent + line);
  const block = (open: string, body: () => void, close = '}') => {
    emit(open);
    const saved = indent;
    indent += '  ';
    body();
    indent = saved;
    emit(close);
  };
  const flushK = () => {
    if (k !== 0) emit(`o += ${k};`);
    k = 0;
  };
  const openRun = () => {
    if (run) return;
    lines.push('');
    run = { at: lines.length - 1, need: 0, reads: [] };
  };
  /** Records what the run reads at the current static offset, for the error that names the first field cut off. */
  const note = (path: string, size: number) => {
    run!.reads.push({ k, size, path });
  };
  const closeRun = () => {
    flushK();
    if (!run) return;
    const r = run.reads;
    const fail =
      r.length === 1
        ? `H.short(${r[0].path}, o + ${r[0].k}, ${r[0].size}, end)`
        : `H.shortRun(o, end, [${r.map((x) => x.k).join(', ')}], [${r.map((x) => x.size).join(', ')}], [${r.map((x) => x.path).join(', ')}])`;
    // Padding alone needs no check: the read after it checks its own bytes.
    lines[run.at] = r.length > 0 ? `${indent}if (o + ${run.need} > end) ${fail};` : '';
    run = undefined;
  };
  const advance = (n: number) => {
    k += n;
    run!.need += n;
    al = { mod: al.mod, rem: (al.rem + n) % al.mod };
  };
  /** Skips padding: static inside a run; dynamic ends the run (its length is exact, so the next one starts after). */
  const align = (a: number) => {
    if (a === 1) return;
    if (al.mod >= a) {
      const pad = (a - (al.rem % a)) % a;
      if (pad > 0) {
        openRun();
        advance(pad);
      }
      return;
    }
    closeRun();
    emit(a === 8 ? 'o = ((o + 3) & -8) + 4;' : `o = (o + ${a - 1}) & -${a};`);
    al = { mod: a, rem: 0 };
  };
  const loop = (head: string, body: () => void) => {
    closeRun();
    const entry = al;
    let start = entry;
    for (;;) {
      const mark = lines.length;
      al = start;
      block(head, () => {
        body();
        closeRun();
      });
      const next = meet(start, al);
      if (same(next, start)) break;
      lines.length = mark;
      start = next;
    }
    al = meet(entry, al);
  };

  /** JS expression of a field path: "markers[" + i3 + "].points". */
  type Path = (string | { index: string })[];
  const pathCode = (p: Path): string => {
    const parts: string[] = [];
    let text = '';
    for (const s of p) {
      if (typeof s === 'string') text += text === '' && parts.length === 0 ? s : `.${s}`;
      else {
        parts.push(JSON.stringify(`${text}[`), s.index);
        text = ']';
      }
    }
    if (text !== '' || parts.length === 0) parts.push(JSON.stringify(text));
    return parts.join(' + ');
  };

  const read = (t: PrimitiveType, off: string): string => {
    switch (t) {
      case 'bool':
        return `u8[${off}] !== 0`;
      case 'uint8':
        return `u8[${off}]`;
      case 'int8':
        return `(u8[${off}] << 24) >> 24`;
      default:
        return `dv.${DV_GET[t]}(${off}, ${le})`;
    }
  };

  /** Reads a uint32 count or length at the (aligned) offset, checked against the end. */
  const count = (path: Path): string => {
    align(4);
    closeRun();
    const n = fresh('n');
    emit(`if (o + 4 > end) H.short(${pathCode(path)}, o, 4, end);`);
    emit(`const ${n} = dv.getUint32(o, ${le}); o += 4;`);
    al = { mod: al.mod, rem: (al.rem + 4) % al.mod };
    return n;
  };

  /** Returns the local holding the value. */
  const primitive = (t: PrimitiveType, path: Path): string => {
    const size = PRIMITIVE_SIZE[t];
    align(size);
    openRun();
    note(pathCode(path), size);
    const v = fresh('f');
    emit(`const ${v} = ${read(t, `o + ${k}`)};`);
    advance(size);
    return v;
  };

  const string = (path: Path, bound: number | undefined): string => {
    const p = pathCode(path);
    const n = count(path);
    const s = fresh('s');
    emit(`if (${n} > end - o) H.fail(${p}, o - 4, "string length " + ${n} + " exceeds the " + (end - o) + " bytes that remain");`);
    emit(`let ${s} = "";`);
    block(`if (${n} !== 0) {`, () => {
      emit(`if (u8[o + ${n} - 1] !== 0) H.fail(${p}, o + ${n} - 1, "string of " + ${n} + " bytes does not end with NUL");`);
      emit(`if (${n} > 1) ${s} = H.str(u8, o, o + ${n} - 1);`);
      emit(`o += ${n};`);
    });
    if (bound !== undefined) emit(`if (${s}.length > ${bound}) H.fail(${p}, o, "string of length " + ${s}.length + " exceeds its bound string<=${bound}");`);
    al = { mod: 1, rem: 0 };
    return s;
  };

  const struct = (s: Element & { kind: 'struct' }, path: Path): string => {
    if (s.fields.length === 0) {
      openRun();
      note(pathCode(path), 1);
      advance(1);
      return '{}';
    }
    const locals = s.fields.map((f) => field(f, [...path, f.name]));
    const v = fresh('v');
    emit(`const ${v} = { ${s.fields.map((f, i) => `${JSON.stringify(f.name)}: ${locals[i]}`).join(', ')} };`);
    return v;
  };

  const element = (e: Element, path: Path): string => {
    if (e.kind === 'primitive') return primitive(e.type, path);
    if (e.kind === 'string') return string(path, e.bound);
    return struct(e, path);
  };

  const field = (f: PlannedField, path: Path): string => {
    if (!f.array) return element(f.element, path);
    const e = f.element;
    const { fixed, bound } = f.array;
    const p = pathCode(path);
    if (e.kind === 'primitive') return primitiveArray(e.type, path, fixed, bound);
    const a = fresh('a');
    const i = fresh('i');
    let n: string;
    if (fixed !== undefined) n = String(fixed);
    else {
      n = count(path);
      if (bound !== undefined) emit(`if (${n} > ${bound}) H.fail(${p}, o - 4, "sequence of " + ${n} + " elements exceeds its bound ${f.notation}");`);
      const min = minWireSize(e);
      emit(`if (${n} > (end - o) / ${min}) H.fail(${p}, o - 4, "sequence of " + ${n} + " elements needs at least " + ${n} * ${min} + " bytes, " + (end - o) + " remain");`);
    }
    emit(`const ${a} = [];`);
    if (n === '0') return a;
    loop(`for (let ${i} = 0; ${i} < ${n}; ${i}++) {`, () => {
      const v = element(e, [...path, { index: i }]);
      closeRun();
      emit(`${a}.push(${v});`);
    });
    return a;
  };

  /** Statements reading `n` elements of `t` from `base` (bounds already checked) into the new local `a`. */
  const readArray = (t: PrimitiveType, a: string, n: string, base: string) => {
    const size = PRIMITIVE_SIZE[t];
    const i = fresh('i');
    const literal = /^\d+$/.test(n) ? Number(n) : undefined;
    const bytes = size === 1 ? n : literal !== undefined ? String(literal * size) : `${n} * ${size}`;
    const typed = t === 'bool' ? undefined : TYPED_ARRAY[t as NumericType].name;
    const loopRead = `for (let ${i} = 0; ${i} < ${n}; ${i}++) ${a}[${i}] = ${read(t, size === 1 ? `${base} + ${i}` : `${base} + ${i} * ${size}`)};`;
    if (!typed) {
      emit(`const ${a} = new Array(${n}); ${loopRead}`);
      return;
    }
    // A fresh array (H.A: on the heap, or a region of a slab no one else gets): the message never shares memory with its input.
    emit(`const ${a} = H.A.${typed}(${n});`);
    const small = literal !== undefined && literal < BULK_MIN_ELEMENTS;
    if (size === 1) {
      // Int8Array.set(Uint8Array) converts 255 to -1: a byte copy either way.
      emit(small ? loopRead : `${a}.set(u8.subarray(${base}, ${base} + ${n}));`);
      return;
    }
    const copy = `new Uint8Array(${a}.buffer, ${a}.byteOffset, ${bytes}).set(u8.subarray(${base}, ${base} + ${bytes}));`;
    if (!bulk || small) emit(loopRead);
    else if (literal !== undefined) emit(copy);
    else emit(`if (${n} >= ${BULK_MIN_ELEMENTS}) ${copy} else ${loopRead}`);
  };

  const primitiveArray = (t: PrimitiveType, path: Path, fixed: number | undefined, bound: number | undefined): string => {
    const size = PRIMITIVE_SIZE[t];
    const p = pathCode(path);
    const a = fresh('a');
    if (fixed !== undefined) {
      // Fixed size: part of the run of fixed-size reads around it.
      if (fixed > 0) align(size);
      openRun();
      note(p, fixed * size);
      readArray(t, a, String(fixed), plus('o', k));
      advance(fixed * size);
      return a;
    }
    const n = count(path);
    const afterCount = al;
    if (bound !== undefined) emit(`if (${n} > ${bound}) H.fail(${p}, o - 4, "sequence of " + ${n} + " elements exceeds its bound ${bound}");`);
    if (size > 4) {
      // rmw_cyclonedds aligns the elements only when there are any.
      const mark = lines.length;
      align(size);
      closeRun();
      if (lines.length > mark) {
        const aligned = lines.splice(mark);
        emit(`if (${n} > 0) { ${aligned.map((l) => l.trim()).join(' ')} }`);
      }
    }
    const bytes = size === 1 ? n : `${n} * ${size}`;
    emit(`if (${bytes} > end - o) H.fail(${p}, o, "sequence of " + ${n} + " elements needs " + ${bytes} + " bytes, " + (end - o) + " remain");`);
    readArray(t, a, n, 'o');
    emit(`o += ${bytes};`);
    al = meet(afterCount, meet(al, { mod: size, rem: 0 }));
    return a;
  };

  emit('let o = 4;');
  const v = struct(root, []);
  closeRun();
  emit(`return ${v};`);
  return `"use strict";\nreturn function decode(u8, dv, end) {\n${lines.filter((l) => l !== '').join('\n')}\n};`;
}
