// `vil decode nmea FILE|-`: runs an NMEA log through the same framer and decoder the rtk_serial
// node uses and prints one JSON line per NavSatFix the node would publish. Lines starting with
// '#' (comments in gpsd's test logs) are skipped. Counters go to stderr at the end.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { Time } from '../runtime/ros.js';
import type { NavSatFixMsg } from '../runtime/msg_types.js';
import { NmeaFramer } from './nmea_framer.js';
import { NmeaDecoder } from './nmea_decoder.js';
import { rtkDecoderParams } from './params.js';

const HELP = `Usage: vil decode nmea FILE|-  [--max-length N]

Decodes an NMEA 0183 log (a file, or - for stdin) with rtk_serial's framer and decoder (default
parameters) and prints one JSON line per sensor_msgs/NavSatFix the node would publish:

  {"lat","lon","alt","status","service","position_covariance","position_covariance_type",
   "quality","stamp_gnss"}

  lat, lon     degrees; alt metres above the WGS 84 ellipsoid (null when the receiver gave none)
  status       NavSatStatus.status (-1 no fix, 0 fix, 1 SBAS/DGPS, 2 RTK)
  service      NavSatStatus.service bits (1 GPS, 2 GLONASS, 4 BeiDou, 8 Galileo; 0 unknown)
  position_covariance       ENU [m²], row-major; type 0 unknown, 1 from HDOP, 2 from GST
  quality      GGA fix quality (0 no fix, 1 GPS, 2 DGPS, 4 RTK fixed, 5 RTK float, 9 SBAS, ...)
  stamp_gnss   UTC of the epoch (ISO 8601) with the date from RMC/ZDA, or null before a date is known

Lines starting with # are skipped. Counters (framing and decoding) are printed to stderr at the end.

Options:
  --max-length N   longest sentence accepted (default 256)
  -h, --help       this text
`;

export async function main(args: string[]): Promise<number> {
  let path: string | undefined;
  let maxLength = 256;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--help' || a === '-h') {
      process.stdout.write(HELP);
      return 0;
    } else if (a === '--max-length') {
      maxLength = Number(args[++i]);
      if (!Number.isInteger(maxLength) || maxLength < 8) {
        process.stderr.write('vil decode nmea: --max-length expects an integer ≥ 8\n');
        return 2;
      }
    } else if (path === undefined && (a === '-' || !a.startsWith('-'))) {
      path = a;
    } else {
      process.stderr.write(`vil decode nmea: unexpected argument "${a}"\n\n${HELP}`);
      return 2;
    }
  }
  if (path === undefined) {
    process.stderr.write(HELP);
    return 2;
  }

  let input: Readable;
  if (path === '-') {
    input = process.stdin;
  } else {
    input = createReadStream(path);
    const opened = await new Promise<Error | null>((resolve) => {
      input.once('open', () => resolve(null));
      input.once('error', (e) => resolve(e));
    });
    if (opened) {
      process.stderr.write(`vil decode nmea: cannot read ${path}: ${opened.message}\n`);
      return 1;
    }
  }
  input.setEncoding('latin1');

  const out = new LineWriter();
  let pending: NavSatFixMsg | undefined;
  const decoder = new NmeaDecoder(
    { frameId: rtkDecoderParams.frame_id.default, stamp: 'receive' },
    {
      fix: (m) => {
        pending = m;
      },
      // The decoder publishes an epoch's status right after its fix: pair them.
      status: (s) => {
        if (!pending) return;
        const m = pending;
        pending = undefined;
        out.line(
          JSON.stringify({
            lat: m.latitude,
            lon: m.longitude,
            alt: Number.isFinite(m.altitude) ? m.altitude : null,
            status: m.status.status,
            service: m.status.service,
            position_covariance: m.position_covariance,
            position_covariance_type: m.position_covariance_type,
            quality: s.quality,
            stamp_gnss: s.gnss_time_valid ? isoTime(s.gnss_time) : null,
          }),
        );
      },
      velocity: () => {},
      heading: () => {},
    },
  );
  // A log has no receive times; the decoder only needs them for stamps, which are not printed.
  const t0: Time = { sec: 0, nanosec: 0 };
  const framer = new NmeaFramer((sentence, time) => decoder.push(sentence, time), { maxLength });

  const lines = createInterface({ input, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.charCodeAt(0) === 0x23 /* # */) continue;
    framer.push(Buffer.from(`${line}\r\n`, 'latin1'), t0);
  }
  decoder.flush();
  await out.end();
  process.stderr.write(`framer: ${JSON.stringify(framer.counters)}\ndecoder: ${JSON.stringify(decoder.counters)}\n`);
  return 0;
}

function isoTime(t: Time): string {
  return new Date(t.sec * 1000 + Math.floor(t.nanosec / 1e6)).toISOString();
}

/** Batches stdout writes; a closed pipe (`| head`) ends output quietly. */
class LineWriter {
  private buffer: string[] = [];
  private closed = false;

  constructor() {
    process.stdout.on('error', () => {
      this.closed = true;
    });
  }

  line(text: string): void {
    if (this.closed) return;
    this.buffer.push(text);
    if (this.buffer.length >= 256) this.drain();
  }

  private drain(): void {
    if (this.buffer.length === 0 || this.closed) return;
    process.stdout.write(`${this.buffer.join('\n')}\n`);
    this.buffer = [];
  }

  async end(): Promise<void> {
    this.drain();
    if (this.closed) return;
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  }
}
