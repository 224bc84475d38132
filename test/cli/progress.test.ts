// The progress display of long command-line work (vil import): a bar redrawn in place on a
// terminal, a plain line every few seconds otherwise; rate and ETA from a given clock.
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { Progress, formatDuration, formatRate } from '../../nodes/cli/progress.js';

function sink(columns?: number): { out: PassThrough & { columns?: number }; text: () => string } {
  const out = new PassThrough() as PassThrough & { columns?: number };
  if (columns) out.columns = columns;
  let t = '';
  out.on('data', (b: Buffer) => (t += b.toString()));
  return { out, text: () => t };
}

describe('Progress', () => {
  it('on a terminal: one line redrawn with \\r, percentage, counts, rate and ETA; cleared at the end', () => {
    let now = 0;
    const s = sink(120);
    const p = new Progress(s.out, 'converting', { tty: true, unit: 'frames', now: () => now });
    now = 1000;
    p.update(250_000, 1_000_000);
    now = 1100; // within the redraw interval: nothing drawn
    p.update(260_000, 1_000_000);
    now = 2000;
    p.update(500_000, 1_000_000);
    p.end();
    expect(s.text()).toBe(
      '\rconverting: [######..................]  25% 250,000/1,000,000 frames, 250 k frames/s, ETA 0:03  ' +
        '\rconverting: [############............]  50% 500,000/1,000,000 frames, 250 k frames/s, ETA 0:02  ' +
        '\r\x1b[K',
    );
  });

  it('not a terminal: a plain line every few seconds; without a total, the rate only', () => {
    let now = 0;
    const s = sink();
    const p = new Progress(s.out, 'reading', { tty: false, unit: 'frames', now: () => now, lineEveryMs: 5000 });
    now = 1;
    p.update(10);
    now = 3000;
    p.update(3000);
    now = 5002;
    p.update(20_000);
    p.end();
    // 10 frames in 1 ms; 20,000 frames in 5.002 s.
    expect(s.text()).toBe('reading: 10 frames, 10 k frames/s\nreading: 20,000 frames, 3998 frames/s\n');
  });

  it('formats rates and durations for people', () => {
    expect(formatRate(2_205_000)).toBe('2.21 M');
    expect(formatRate(139_400)).toBe('139 k');
    expect(formatRate(999)).toBe('999');
    expect(formatDuration(7)).toBe('0:07');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(NaN)).toBe('?');
  });
});
