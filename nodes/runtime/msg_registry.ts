// Every ROS 2 message type vil knows, from real .msg text: the standard Jazzy types shipped by
// @foxglove/rosmsg-msgs-common, upstream driver types copied under nodes/runtime/local/defs, and
// the project's own msgs/msg/*.msg (package "vil"). The local graph validates and serialises
// against these; the MCAP recorder embeds their text.
//
// Names: our APIs say "pkg/msg/Type" (as rclnodejs and rosbag2 do). Internally, and in the parsed
// definitions (definitions()), complex types are "pkg/Type" (the parser's convention). fields() is
// what the CDR codec (nodes/cdr) compiles from: the registry is a CdrSchema.
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@foxglove/rosmsg';
import type { MessageDefinition, MessageDefinitionField } from '@foxglove/message-definition';

export type { MessageDefinition } from '@foxglove/message-definition';

export interface FieldDef {
  name: string;
  /** Primitive ('float64', 'string', 'uint8', ...) or 'pkg/msg/Type' (time → builtin_interfaces/msg/Time). */
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

export interface MessageRegistry {
  has(type: string): boolean;
  /** Throws an Error naming the unknown type (and why, when its .msg failed to parse). */
  fields(type: string): readonly FieldDef[];
  constants(type: string): Record<string, number | string | boolean>;
  /** The parsed definitions (@foxglove/message-definition): root first, then every type it uses. */
  definitions(type: string): MessageDefinition[];
  /** ros2msg text as rosbag2 writes it into MCAP: root .msg text, then "====...\nMSG: pkg/Type" blocks. */
  schemaText(type: string): string;
  /** Where the type's .msg text came from (file path or package). */
  source(type: string): string;
  types(): string[];
}

/** rosbag2's delimiter line: exactly 80 '='. */
const DELIMITER = '='.repeat(80);
const PRIMITIVES = new Set(['bool', 'byte', 'char', 'float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64', 'string', 'wstring']);
const TYPE_NAME = /^([a-zA-Z][a-zA-Z0-9_]*)\/(?:msg\/)?([A-Z][a-zA-Z0-9]*)$/;

interface Entry {
  /** "pkg/msg/Type" */
  name: string;
  /** "pkg/Type" */
  key: string;
  pkg: string;
  text: string;
  source: string;
  parsed?: MessageDefinitionField[];
  error?: string;
}

export interface RegistrySources {
  /** Directory with <pkg>/msg/<Type>.msg, the standard types. */
  standardDir: string;
  /** Upstream driver types (nmea_msgs, can_msgs, rtcm_msgs), same layout. */
  defsDir?: string;
  /** The project's msgs/msg directory; every .msg there becomes vil/msg/<Type>. */
  projectMsgDir?: string;
}

/** "sensor_msgs/msg/NavSatFix" or "sensor_msgs/NavSatFix" → "sensor_msgs/NavSatFix"; undefined when malformed. */
export function typeKey(type: string): string | undefined {
  const m = TYPE_NAME.exec(type);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/** "pkg/Type" → "pkg/msg/Type". */
export function typeName(key: string): string {
  const slash = key.indexOf('/');
  return `${key.slice(0, slash)}/msg/${key.slice(slash + 1)}`;
}

class Registry implements MessageRegistry {
  private readonly entries = new Map<string, Entry>();
  private readonly schemaCache = new Map<string, string>();
  private readonly defsCache = new Map<string, MessageDefinition[]>();
  private readonly fieldsCache = new Map<string, readonly FieldDef[]>();

  constructor(sources: RegistrySources) {
    this.addTree(sources.standardDir, '@foxglove/rosmsg-msgs-common (ROS 2 Jazzy)', true);
    if (sources.defsDir && existsSync(sources.defsDir)) this.addTree(sources.defsDir, undefined, false);
    if (sources.projectMsgDir && existsSync(sources.projectMsgDir)) this.addDir('vil', sources.projectMsgDir, undefined, false);
  }

  private addTree(root: string, label: string | undefined, concatenated: boolean): void {
    for (const pkg of readdirSync(root).sort()) {
      const dir = join(root, pkg, 'msg');
      if (existsSync(dir) && statSync(dir).isDirectory()) this.addDir(pkg, dir, label, concatenated);
    }
  }

  /**
   * `concatenated`: the file holds the type's full definition as rosbag2 writes it (the package's
   * msgdefs do); only the type's own text, before the first delimiter, is kept.
   */
  private addDir(pkg: string, dir: string, label: string | undefined, concatenated: boolean): void {
    for (const file of readdirSync(dir).sort()) {
      if (!file.endsWith('.msg')) continue;
      const typeBase = file.slice(0, -4);
      const path = join(dir, file);
      let text = readFileSync(path, 'utf8');
      if (concatenated) {
        const at = text.indexOf(`\n${DELIMITER}\nMSG: `);
        if (at >= 0) text = text.slice(0, at);
        // The bundle pads some files with blank lines; upstream .msg files end with one newline.
        text = `${text.replace(/\s+$/, '')}\n`;
      }
      const key = `${pkg}/${typeBase}`;
      const entry: Entry = { name: typeName(key), key, pkg, text, source: label ? `${label}: ${pkg}/msg/${file}` : path };
      if (!/^[A-Z][a-zA-Z0-9]*$/.test(typeBase)) entry.error = `${path}: "${typeBase}" is not a valid ROS message name (CamelCase, letters and digits)`;
      // A later source overrides an earlier one (a driver package may be newer than the bundle).
      this.entries.set(key, entry);
    }
  }

  private entry(type: string): Entry {
    const key = typeKey(type);
    const e = key === undefined ? undefined : this.entries.get(key);
    if (!e) {
      const hint = key === undefined ? ' (expected "package/msg/Type", e.g. "sensor_msgs/msg/NavSatFix")' : '';
      const near = this.suggest(type);
      throw new Error(
        `unknown message type "${type}"${hint}: not among the ${this.entries.size} types of the registry (ROS 2 Jazzy standard types, nodes/runtime/local/defs, msgs/msg)` +
          (near.length ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : ''),
      );
    }
    if (e.parsed === undefined && e.error === undefined) this.parseEntry(e);
    if (e.error !== undefined) throw new Error(`message type "${e.name}" is unusable: ${e.error}`);
    return e;
  }

  /** Up to three known names close to a wrong one (same type name in another package, or a typo). */
  private suggest(type: string): string[] {
    const wanted = type.replace('/msg/', '/').toLowerCase();
    const base = wanted.slice(wanted.lastIndexOf('/') + 1);
    const scored: [number, string][] = [];
    for (const e of this.entries.values()) {
      const k = e.key.toLowerCase();
      const d = k.endsWith(`/${base}`) ? 0 : editDistance(k, wanted);
      if (d <= 3) scored.push([d, e.name]);
    }
    return scored.sort((a, b) => a[0] - b[0]).slice(0, 3).map((s) => s[1]);
  }

  private parseEntry(e: Entry): void {
    let defs: MessageDefinition[];
    try {
      defs = parse(e.text, { ros2: true, skipTypeFixup: true });
    } catch (err) {
      e.error = `${e.source}: cannot parse: ${(err as Error).message.split('\n')[0]}`;
      return;
    }
    const fields: MessageDefinitionField[] = [];
    for (const f of defs[0]?.definitions ?? []) {
      if (f.isConstant !== true && f.isComplex === true) {
        if (f.type.split('/').length > 2) {
          e.error = `${e.source}: field "${f.name}" has type "${f.type}": .msg files name other types as "package/Type" (no "/msg/"), e.g. "std_msgs/Header"`;
          return;
        }
        const key = f.type.includes('/') ? f.type : `${e.pkg}/${f.type}`;
        if (!this.entries.has(key)) {
          e.error = `${e.source}: field "${f.name}" has type "${f.type}", which is not a known message type`;
          return;
        }
        fields.push({ ...f, type: key });
      } else {
        if (f.type === 'wstring') {
          e.error = `${e.source}: field "${f.name}" is a wstring, whose CDR layout is implementation-defined; use string`;
          return;
        }
        fields.push(f);
      }
    }
    e.parsed = fields;
  }

  has(type: string): boolean {
    try {
      this.entry(type);
      return true;
    } catch {
      return false;
    }
  }

  source(type: string): string {
    return this.entry(type).source;
  }

  fields(type: string): readonly FieldDef[] {
    const e = this.entry(type);
    let out = this.fieldsCache.get(e.key);
    if (out) return out;
    out = Object.freeze(
      e.parsed!
        .filter((f) => f.isConstant !== true)
        .map((f): FieldDef => {
          const timeLike = f.type === 'time' || f.type === 'duration';
          const d: FieldDef = {
            name: f.name,
            type: timeLike ? `builtin_interfaces/msg/${f.type === 'time' ? 'Time' : 'Duration'}` : f.isComplex ? typeName(f.type) : f.type,
            isComplex: timeLike || f.isComplex === true,
            isArray: f.isArray === true,
          };
          if (f.arrayLength !== undefined) d.arrayLength = f.arrayLength;
          if (f.arrayUpperBound !== undefined) d.arrayUpperBound = f.arrayUpperBound;
          if (f.upperBound !== undefined) d.upperBound = f.upperBound;
          return Object.freeze(d);
        }),
    );
    this.fieldsCache.set(e.key, out);
    return out;
  }

  constants(type: string): Record<string, number | string | boolean> {
    const out: Record<string, number | string | boolean> = {};
    for (const f of this.entry(type).parsed!) {
      if (f.isConstant !== true || f.value === undefined) continue;
      out[f.name] = typeof f.value === 'bigint' ? Number(f.value) : f.value;
    }
    return out;
  }

  definitions(type: string): MessageDefinition[] {
    const root = this.entry(type);
    const cached = this.defsCache.get(root.key);
    if (cached) return cached;
    const out: MessageDefinition[] = [];
    const seen = new Set<string>();
    const visit = (e: Entry): void => {
      seen.add(e.key);
      out.push({ name: e.key, definitions: e.parsed! });
      for (const f of e.parsed!) {
        if (f.isComplex === true && !seen.has(f.type)) visit(this.entry(f.type));
      }
    };
    visit(root);
    this.defsCache.set(root.key, out);
    return out;
  }

  /**
   * rosbag2's LocalMessageDefinitionSource::get_full_text, reproduced: dependencies are the type
   * names written in the text (unqualified ones take the package of the file), visited depth first
   * in sorted order, each once, each preceded by "\n" + 80 '=' + "\nMSG: <name as written>\n".
   */
  schemaText(type: string): string {
    const root = this.entry(type);
    const cached = this.schemaCache.get(root.key);
    if (cached !== undefined) return cached;
    const seen = new Set<string>();
    const append = (e: Entry): string => {
      let result = e.text;
      for (const dep of msgDependencies(e.text, e.pkg)) {
        const depEntry = this.entry(dep);
        if (seen.has(depEntry.key)) continue;
        seen.add(depEntry.key);
        result += `\n${DELIMITER}\nMSG: ${dep}\n${append(depEntry)}`;
      }
      return result;
    };
    const text = append(root);
    this.schemaCache.set(root.key, text);
    return text;
  }

  types(): string[] {
    return [...this.entries.values()].map((e) => e.name).sort();
  }
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 3) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The field types a .msg text names, as rosbag2's MSG_FIELD_TYPE_REGEX finds them, sorted like std::set. */
function msgDependencies(text: string, pkg: string): string[] {
  const deps = new Set<string>();
  const re = /(?:^|\n)\s*([a-zA-Z0-9_/]+)(?:\[[^\]]*\])?\s+/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const t = m[1];
    if (PRIMITIVES.has(t)) continue;
    deps.add(t.includes('/') ? t : `${pkg}/${t}`);
  }
  return [...deps].sort();
}

/** The directory whose package.json names "vil": the source tree or an installed/compiled copy. */
export function projectRoot(): string {
  return findProjectRoot(dirname(fileURLToPath(import.meta.url)));
}

/** Walks up from `start` to the directory whose package.json has "name": "vil". */
export function findProjectRoot(start: string): string {
  let dir = start;
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if ((JSON.parse(readFileSync(pj, 'utf8')) as { name?: string }).name === 'vil') return dir;
      } catch {
        // not ours; keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the vil project root (a package.json with "name": "vil") above ${start}`);
    dir = up;
  }
}

export function defaultRegistrySources(): RegistrySources {
  const root = projectRoot();
  const require = createRequire(import.meta.url);
  const pkgDir = dirname(require.resolve('@foxglove/rosmsg-msgs-common/package.json'));
  return {
    standardDir: join(pkgDir, 'msgdefs', 'ros2jazzy'),
    defsDir: join(root, 'nodes', 'runtime', 'local', 'defs'),
    projectMsgDir: join(root, 'msgs', 'msg'),
  };
}

/** A registry over explicit sources (tests, tools); most code wants messageRegistry(). */
export function createMessageRegistry(sources: RegistrySources = defaultRegistrySources()): MessageRegistry {
  return new Registry(sources);
}

let singleton: MessageRegistry | undefined;

export function messageRegistry(): MessageRegistry {
  singleton ??= createMessageRegistry();
  return singleton;
}
