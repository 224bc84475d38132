// Benchmark input: one real MF4 bus-logging file made N times longer, as a logger would have
// written a longer drive. For a sorted, finalised file (one channel group per data group, as
// css_matlab_00000001_fin.MF4): the records of every data group's DT block are repeated N times,
// each repetition's master channel (a float64 time) shifted by the recording's span plus one
// period, in a new DT block appended to the file; the data group points to it and the channel
// group's cycle count is multiplied. Payloads stored apart (VLSD / SD) are shared by the repeats.
// Block layout per ASAM MDF 4.1 (id, reserved, length, link count, links, data).
import { readFileSync, writeFileSync } from 'node:fs';

interface Block {
  id: string;
  length: number;
  links: number[];
  data: number;
}

function block(b: Buffer, at: number): Block {
  const id = b.toString('latin1', at, at + 4);
  const length = Number(b.readBigUInt64LE(at + 8));
  const count = Number(b.readBigUInt64LE(at + 16));
  const links: number[] = [];
  for (let i = 0; i < count; i++) links.push(Number(b.readBigUInt64LE(at + 24 + 8 * i)));
  return { id, length, links, data: at + 24 + 8 * count };
}

/** Writes `out`: `src` with every channel group's records repeated `times` times. Returns the frame count. */
export function repeatMf4(src: string, out: string, times: number): number {
  const b = readFileSync(src);
  const hd = block(b, 64);
  if (hd.id !== '##HD') throw new Error(`${src}: no HD block at 64`);
  const parts: Buffer[] = [b];
  let end = b.length + ((8 - (b.length % 8)) % 8);
  parts.push(Buffer.alloc(end - b.length));
  let records = 0;
  for (let dgAt = hd.links[0]; dgAt; ) {
    const dg = block(b, dgAt);
    const cg = block(b, dg.links[1]);
    if (b[dg.data] !== 0 || cg.links[0] !== 0) throw new Error(`${src}: only sorted data groups with one channel group are repeated`);
    const cycles = Number(b.readBigUInt64LE(cg.data + 8));
    const recordBytes = b.readUInt32LE(cg.data + 24) + b.readUInt32LE(cg.data + 28);
    if (cycles > 0) {
      const dt = block(b, dg.links[2]);
      if (dt.id !== '##DT') throw new Error(`${src}: data group at ${dgAt}: ${dt.id} data, only DT is repeated`);
      // The master channel: float64 at a byte offset.
      let master = -1;
      for (let cnAt = cg.links[1]; cnAt; ) {
        const cn = block(b, cnAt);
        if (b[cn.data] === 2 && b[cn.data + 2] === 4 && b.readUInt32LE(cn.data + 8) === 64) master = b.readUInt32LE(cn.data + 4);
        cnAt = cn.links[0];
      }
      if (master < 0) throw new Error(`${src}: data group at ${dgAt}: no float64 master channel`);
      const src0 = dt.data;
      const first = b.readDoubleLE(src0 + master);
      const last = b.readDoubleLE(src0 + (cycles - 1) * recordBytes + master);
      const shift = last - first + (last - first) / Math.max(1, cycles - 1);
      const body = Buffer.alloc(cycles * recordBytes * times);
      for (let k = 0; k < times; k++) {
        const at = k * cycles * recordBytes;
        b.copy(body, at, src0, src0 + cycles * recordBytes);
        for (let r = 0; r < cycles; r++) {
          const p = at + r * recordBytes + master;
          body.writeDoubleLE(body.readDoubleLE(p) + k * shift, p);
        }
      }
      const head = Buffer.alloc(24);
      head.write('##DT', 0, 'latin1');
      head.writeBigUInt64LE(BigInt(24 + body.length), 8);
      head.writeBigUInt64LE(0n, 16);
      const pad = Buffer.alloc((8 - (body.length % 8)) % 8);
      // Point the data group at the new block and multiply the cycle count (in the copy kept in parts[0]).
      b.writeBigUInt64LE(BigInt(end), dgAt + 24 + 8 * 2);
      b.writeBigUInt64LE(BigInt(cycles * times), cg.data + 8);
      parts.push(head, body, pad);
      end += 24 + body.length + pad.length;
      records += cycles * times;
    }
    dgAt = dg.links[0];
  }
  writeFileSync(out, Buffer.concat(parts));
  return records;
}
