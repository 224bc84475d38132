// DBC files come from Windows tools (CANdb++ writes cp1252) or from generators that write UTF-8
// (opendbc). Decide per file: valid UTF-8 is read as UTF-8, anything else as cp1252, which is what
// cantools assumes by default. Own table so the result does not depend on Node's ICU build.

// cp1252 0x80..0x9F; 0 = undefined in cp1252 (decoded as U+FFFD like Python's errors='replace').
const CP1252_HIGH = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017d, 0,
  0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0, 0x017e, 0x0178,
];

export type DbcTextEncoding = 'utf-8' | 'cp1252';

export function decodeCp1252(bytes: Uint8Array): string {
  const parts: string[] = [];
  const CHUNK = 8192;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    const end = Math.min(bytes.length, i + CHUNK);
    const codes = new Array<number>(end - i);
    for (let j = i; j < end; j++) {
      const b = bytes[j];
      codes[j - i] = b >= 0x80 && b <= 0x9f ? CP1252_HIGH[b - 0x80] || 0xfffd : b;
    }
    parts.push(String.fromCharCode(...codes));
  }
  return parts.join('');
}

/** Text of a DBC file and the encoding it was read with. A UTF-8 byte-order mark is dropped. */
export function decodeDbcBytes(bytes: Uint8Array): { text: string; encoding: DbcTextEncoding } {
  let body = bytes;
  if (body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) body = body.subarray(3);
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(body), encoding: 'utf-8' };
  } catch {
    return { text: decodeCp1252(body), encoding: 'cp1252' };
  }
}
