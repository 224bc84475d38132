// @foxglove/cdr 3.5.0's CdrWriter.string() sizes a string by its UTF-16 length, so any non-ASCII
// character ("°", "≥", "ä") is cut off or leaves NUL bytes on the wire, while CdrReader decodes
// UTF-8 correctly. ROS 2 strings travel as UTF-8 (rclcpp std::string, rclpy, rclnodejs), so the
// local graph patches the writer the MessageWriter uses: ASCII keeps the original path, other
// strings are written as their UTF-8 bytes with the length CDR requires (bytes + NUL).
import { createRequire } from 'node:module';

interface CdrWriterInternals {
  string(value: string, writeLength?: boolean): unknown;
  uint32(value: number): unknown;
  resizeIfNeeded(bytes: number): void;
  array: Uint8Array;
  offset: number;
}

const encoder = new TextEncoder();
let installed = false;

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Idempotent. Patches the @foxglove/cdr instance that @foxglove/rosmsg2-serialization loads. */
export function installCdrUtf8Fix(): void {
  if (installed) return;
  installed = true;
  const require = createRequire(import.meta.url);
  const fromSerialization = createRequire(require.resolve('@foxglove/rosmsg2-serialization'));
  const { CdrWriter } = fromSerialization('@foxglove/cdr') as { CdrWriter: { prototype: CdrWriterInternals } };
  const proto = CdrWriter.prototype;
  const original = proto.string;
  proto.string = function string(this: CdrWriterInternals, value: string, writeLength = true) {
    if (isAscii(value)) return original.call(this, value, writeLength);
    const bytes = encoder.encode(value);
    if (writeLength) this.uint32(bytes.length + 1);
    this.resizeIfNeeded(bytes.length + 1);
    this.array.set(bytes, this.offset);
    this.array[this.offset + bytes.length] = 0;
    this.offset += bytes.length + 1;
    return this;
  };
}
