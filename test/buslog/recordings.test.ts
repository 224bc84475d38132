// Every shared recording (MF4, BLF, ASC; test/fixtures/buslogs) read by vil's readers and checked
// against the reference made outside this project (asammdf 8.0.0 for MF4, python-can for BLF/ASC):
// every frame field by field (time within 1 µs), the .json summary's counts, and the block
// structure the .json lists (MF4 groups, sorted/unsorted, finalised flags, cycle counts).
import { describe, expect, it } from 'vitest';
import { openRecording } from '../../nodes/buslog/open.js';
import { formatFrameLine, formatTime } from '../../nodes/buslog/frame_text.js';
import type { LogFrame, RecordingInfo } from '../../nodes/buslog/frame.js';
import { differences, FIXTURES, hex, readAll, recordings, summarise } from './reference.js';
import { join } from 'node:path';

const all = recordings();

interface Cg {
  record_id: number;
  acq_name: string | null;
  cycle_count_in_header: number;
  vlsd: boolean;
  source: { bus_type: number } | null;
}
interface Dg {
  record_id_size: number;
  sorted: boolean;
  channel_groups: Cg[];
}
interface Mf4Structure {
  unfinalized: boolean;
  unfinalized_standard_flags: number;
  version_str: string;
  hd_start_time_ns: number;
  data_groups: Dg[];
}

describe('shared recordings against their reference dumps', () => {
  it('finds all of them (a missing fixture fails here)', () => {
    expect(all.map((r) => r.name)).toEqual([
      'mf4/css_17BD1DB7_00000170.MF4',
      'mf4/css_2F6913DB_0004_00000001.MF4',
      'mf4/css_2F6913DB_1089_00000001.MF4',
      'mf4/css_94C49784_00000002.MF4',
      'mf4/css_FCBF0606_3482_00000001.MF4',
      'mf4/css_matlab_00000001_fin.MF4',
      'mf4/derived_asammdf_dz1_94C49784_00000002.MF4',
      'mf4/derived_pycanwriter_logfile_asc.MF4',
      'blf/derived_pycanblfwriter_css_2F6913DB_0004_00000001.blf',
      'blf/derived_pycanblfwriter_logfile_asc.blf',
      'blf/vblf_conv_test_CanMessage.blf',
      'asc/pycan_issue_1299.asc',
      'asc/pycan_logfile.asc',
      'asc/pycan_test_CanFdMessage.asc',
      'asc/pycan_test_CanRemoteMessage.asc',
    ]);
  });

  for (const rec of all) {
    describe(rec.name, () => {
      let frames: LogFrame[] = [];
      let info: RecordingInfo;
      let skipped: Record<string, number> = {};

      it('is recognised by its contents and read without error', async () => {
        const r = await openRecording(rec.path);
        expect(r.format).toBe(rec.dir);
        info = await r.info();
        frames = await readAll(r);
        skipped = r.skipped;
        expect(frames.length).toBeGreaterThan(0);
      });

      it('gives every frame of the reference, field by field, in its order', () => {
        expect(frames.length).toBe(rec.ref.length);
        const bad: string[] = [];
        for (let i = 0; i < rec.ref.length && bad.length < 10; i++) {
          const d = differences(frames[i], rec.ref[i]);
          if (d.length) bad.push(`#${i} ${rec.ref[i].line}: ${d.join(', ')}`);
        }
        expect(bad).toEqual([]);
      });

      it('prints every frame exactly as the reference line (vil import --frames format)', () => {
        const lines = frames.map(formatFrameLine);
        const bad = lines.map((l, i) => (l === rec.ref[i]?.line ? '' : `#${i}: ${l} vs ${rec.ref[i]?.line}`)).filter(Boolean);
        expect(bad.slice(0, 10)).toEqual([]);
      });

      it('agrees with the .json summary (counts per channel and kind, first/last time, ids, payload size)', () => {
        const j = rec.json;
        expect(frames.length).toBe(j.frames_total);
        expect(summarise(frames)).toEqual(j.frames_per_channel);
        expect(formatTime(frames[0].sec, frames[0].nanosec).slice(1, -1)).toBe(j.first_timestamp);
        const last = frames[frames.length - 1];
        expect(formatTime(last.sec, last.nanosec).slice(1, -1)).toBe(j.last_timestamp);
        const ids: Record<string, Set<string>> = {};
        for (const f of frames) {
          if (f.error) continue;
          (ids[`can${f.channel}`] ??= new Set()).add(f.extended ? f.id.toString(16).toUpperCase().padStart(8, '0') : f.id.toString(16).toUpperCase().padStart(3, '0'));
        }
        expect(Object.fromEntries(Object.entries(ids).map(([k, s]) => [k, [...s].sort()]))).toEqual(j.ids_per_channel);
        expect(Math.max(...frames.map((f) => f.data.length))).toBe(j.max_payload_bytes);
      });

      if (rec.dir === 'mf4') {
        it('info() lists the MF4 structure the .json shows', () => {
          const s = rec.json.mf4_structure as Mf4Structure;
          expect(info.format).toBe('mf4');
          expect(info.absoluteTime).toBe(true);
          expect(BigInt(info.start!.sec) * 1_000_000_000n + BigInt(info.start!.nanosec)).toBe(BigInt(s.hd_start_time_ns as unknown as string));
          expect(info.detail).toContain(`MDF ${s.version_str}`);
          expect(info.detail).toContain(s.unfinalized ? `unfinalised (UnFinMF, flags ${s.unfinalized_standard_flags}` : 'finalised');
          const cgs = s.data_groups.flatMap((dg, i) => dg.channel_groups.map((cg) => ({ dg, i, cg })));
          expect(info.groups.length).toBe(cgs.length);
          cgs.forEach(({ dg, i, cg }, k) => {
            const g = info.groups[k];
            if (cg.acq_name !== null) expect(g.name).toBe(cg.acq_name);
            expect(g.detail).toContain(`${dg.sorted ? 'sorted' : 'unsorted'} DG ${i + 1}`);
            if (!dg.sorted) expect(g.detail).toContain(`record id ${cg.record_id}`);
            // Frame counts only where the file's cycle counts are valid (finalised files).
            if (s.unfinalized) expect(g.frames).toBeUndefined();
            else if (!cg.vlsd) expect(g.frames).toBe(cg.cycle_count_in_header);
            const lin = cg.source?.bus_type === 3;
            if (lin) expect(g.status).toEqual({ skipped: expect.stringContaining('LIN') });
          });
          // Every group that holds frames in the reference is read.
          const readNames = new Set(info.groups.filter((g) => g.status === 'read').map((g) => g.name));
          for (const { cg } of cgs) if (cg.acq_name && cg.source?.bus_type === 2 && (s.unfinalized || cg.cycle_count_in_header > 0)) expect(readNames.has(cg.acq_name)).toBe(true);
        });
      }

      if (rec.dir === 'blf') {
        it('info() gives the header start time and the time base', () => {
          const start = rec.json.blf_start_timestamp as number;
          expect(info.format).toBe('blf');
          expect(info.absoluteTime).toBe(start !== 0);
          if (start) expect(info.start!.sec + info.start!.nanosec / 1e9).toBeCloseTo(start, 6);
          else expect(info.start).toBeUndefined();
          expect(info.detail).toContain(`${rec.json.blf_object_count_in_header} objects`);
        });
      }

      if (rec.dir === 'asc') {
        it('info() reads the date line (as UTC) and the number base; times are relative', () => {
          const header = rec.json.asc_header_lines as string[];
          const m = /^date \S+ (\w{3}) (\d+) (\d+):(\d+):(\d+)\.(\d{3})(?: (am|pm))? (\d{4})$/.exec(header[0])!;
          const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].indexOf(m[1]);
          const hour = Number(m[3]) % 12 + (m[7] === 'pm' ? 12 : m[7] === 'am' ? 0 : Number(m[3]) >= 12 ? 12 : 0);
          const ms = Date.UTC(Number(m[8]), month, Number(m[2]), hour, Number(m[4]), Number(m[5]), Number(m[6]));
          expect(info.format).toBe('asc');
          expect(info.absoluteTime).toBe(false);
          expect(info.start!.sec * 1000 + info.start!.nanosec / 1e6).toBe(ms);
          expect(info.detail).toContain('base hex');
          // Non-frame lines are counted, not silently dropped.
          expect(Object.values(skipped).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
        });
      }
    });
  }
});

describe('the same drive in two files', () => {
  const framesOf = async (rel: string): Promise<LogFrame[]> => readAll(await openRecording(join(FIXTURES, rel)));
  const same = (a: LogFrame[], b: LogFrame[], tolUs: number): void => {
    expect(a.length).toBe(b.length);
    const bad: string[] = [];
    for (let i = 0; i < a.length && bad.length < 5; i++) {
      const x = a[i];
      const y = b[i];
      const dt = Math.abs((x.sec - y.sec) * 1e6 + (x.nanosec - y.nanosec) / 1000);
      const fx = { ...x, sec: 0, nanosec: 0, data: hex(x.data) };
      const fy = { ...y, sec: 0, nanosec: 0, data: hex(y.data) };
      if (dt > tolUs || JSON.stringify(fx) !== JSON.stringify(fy)) bad.push(`#${i}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
    }
    expect(bad).toEqual([]);
  };

  it('the unfinalised CANedge file and its asammdf DZ re-save give the same frames', async () => {
    same(await framesOf('mf4/css_94C49784_00000002.MF4'), await framesOf('mf4/derived_asammdf_dz1_94C49784_00000002.MF4'), 0);
  });

  it('the CANedge MF4 and the BLF python-can wrote from it give the same frames (Dir → tx kept)', async () => {
    same(await framesOf('mf4/css_2F6913DB_0004_00000001.MF4'), await framesOf('blf/derived_pycanblfwriter_css_2F6913DB_0004_00000001.blf'), 1);
  });
});
