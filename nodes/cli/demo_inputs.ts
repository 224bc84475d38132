// What `vil demo` replays, prepared before the nodes start (also used by the tests that run on the
// demo's inputs). Everything comes from config/demo/ (see its ATTRIBUTION.md):
//   - a real drive: a CANedge recording (MF4) of a car with a CSS CANmod.gps GNSS/IMU module on
//     can2 (gnss.dbc) and diagnostic traffic on can1; can_bridge replays a window of it itself
//     (source recording, recording_start / recording_duration);
//   - the receiver's serial line: NMEA DERIVED from that drive's own GNSS epochs (demo_gnss.ts),
//     framed as the real u-blox ZED-F9P log;
//   - a radar bus GENERATED from a scripted scene (demo_drive.ts), written as a candump log with the
//     drive's own times, which can_bridge merges with the recording (channel 3).
// The window starts DEMO_START_S into the recording (2 s before the car sets off) and holds the
// requested number of GNSS epochs: it ends where the next epoch begins (or at the recording's end).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CandumpFrame } from '../buslog/candump.js';
import { formatCandumpLine } from '../buslog/candump.js';
import type { LogFrame } from '../buslog/frame.js';
import { openRecording } from '../buslog/open.js';
import type { CanDatabase } from '../dbc/codec.js';
import { loadDbcFile } from '../dbc/load.js';
import { gnssEpochsOf, logEpochs, nmeaOfDrive, type GnssEpoch, type GnssFrame } from './demo_gnss.js';
import { radarScanFrames } from './demo_drive.js';
import { readFileSync } from 'node:fs';

export const DEMO_FILES = {
  recording: 'config/demo/css_2F6913DB_1089_00000001.MF4',
  gnssDbc: 'config/demo/gnss.dbc',
  receiverLog: 'config/demo/ublox-zed-f9p-nmea.log',
  radarDbc: 'config/dbc/ESR.dbc',
  canConfig: 'config/demo/can_bridge.yaml',
  params: 'config/demo.params.yaml',
} as const;

/** Seconds after the recording's first frame where the demo starts: 2 s before the car sets off. */
export const DEMO_START_S = 92;
/** The recording's channel of the GNSS module (CANmod.gps) and of the generated radar. */
export const GNSS_CHANNEL = 2;
export const RADAR_CHANNEL = 3;

/** A frame of the recording with its time in integer nanoseconds since the Unix epoch. */
export interface RecordedFrame {
  ns: bigint;
  frame: LogFrame;
}

/** A GNSS module frame in the window, decoded by vil's DBC codec (the values the NMEA comes from). */
export interface DecodedGnssFrame extends GnssFrame {
  frame: LogFrame;
  id: number;
}

export interface DemoDrive {
  /** Absolute paths of the files can_bridge replays: the recording, then the radar log. */
  recordingFiles: [string, string];
  /** can_bridge's recording_start / recording_duration for this window (duration 0: to the end). */
  startS: number;
  durationS: number;
  /** The recording's first frame, the window's first and end (exclusive) time [ns since the epoch]. */
  originNs: bigint;
  startNs: bigint;
  endNs: bigint | undefined;
  /** The GNSS epochs of the window, and the NMEA bytes of each (same index). */
  epochs: GnssEpoch[];
  nmea: string[];
  /** How many epochs from the start the recording has in all (what --epochs can ask for). */
  epochsAvailable: number;
  /** The recording's frames in the window, in replay order, by channel. */
  frames: Map<number, RecordedFrame[]>;
  /** The window's GNSS frames decoded with gnss.dbc (every message of the module, IMU included). */
  gnssFrames: DecodedGnssFrame[];
  /** The generated radar frames (channel RADAR_CHANNEL), as written to the radar log. */
  radarFrames: CandumpFrame[];
  radarScans: number;
  gnssDb: CanDatabase;
  radarDb: CanDatabase;
}

const NS = 1_000_000_000n;
const toNs = (sec: number, nanosec: number) => BigInt(sec) * NS + BigInt(nanosec);

/**
 * Reads the recording, picks the window of `epochs` GNSS epochs (all when undefined) from
 * `startS`, derives the receiver's NMEA and writes the radar log into `outDir`.
 */
export async function prepareDemoDrive(o: { root: string; outDir: string; epochs?: number; startS?: number }): Promise<DemoDrive> {
  const path = (p: string) => join(o.root, p);
  const startS = o.startS ?? DEMO_START_S;
  const gnssDb = loadDbcFile(path(DEMO_FILES.gnssDbc));
  const radarDb = loadDbcFile(path(DEMO_FILES.radarDbc));

  // The whole recording (a few thousand frames), in the order the replay reads it.
  const all: RecordedFrame[] = [];
  const reader = await openRecording(path(DEMO_FILES.recording));
  try {
    for await (const batch of reader.batches()) for (const f of batch) all.push({ ns: toNs(f.sec, f.nanosec), frame: f });
  } finally {
    await reader.close();
  }
  if (all.length === 0) throw new Error(`${DEMO_FILES.recording}: no frames`);
  const originNs = all[0].ns;
  const startNs = originNs + BigInt(Math.round(startS * 1e9));

  const decode = (r: RecordedFrame): DecodedGnssFrame | undefined => {
    const f = r.frame;
    if (f.channel !== GNSS_CHANNEL || f.error || f.rtr) return undefined;
    const codec = gnssDb.lookup(f.id, f.extended);
    if (!codec) return undefined;
    return { ns: r.ns, message: codec.name, values: { ...codec.decodeValues(f.data) }, frame: f, id: f.id };
  };
  const decodedAll = all.map(decode).filter((d) => d !== undefined);
  const epochsAll = gnssEpochsOf(decodedAll).filter((e) => e.posNs >= startNs && e.firstNs >= startNs);
  const wanted = Math.min(o.epochs ?? Infinity, epochsAll.length);
  const epochs = epochsAll.slice(0, wanted);
  const endNs = wanted < epochsAll.length ? epochsAll[wanted].firstNs : undefined;
  const durationS = endNs === undefined ? 0 : Number(endNs - startNs) / 1e9;
  const inWindow = (ns: bigint) => ns >= startNs && (endNs === undefined || ns < endNs);

  const frames = new Map<number, RecordedFrame[]>();
  for (const r of all) {
    if (!inWindow(r.ns)) continue;
    const list = frames.get(r.frame.channel) ?? [];
    list.push(r);
    frames.set(r.frame.channel, list);
  }
  const gnssFrames = decodedAll.filter((d) => inWindow(d.ns));

  // The receiver: the drive's epochs framed as the real u-blox log.
  const templates = logEpochs(readFileSync(path(DEMO_FILES.receiverLog), 'latin1'));
  const nmea = nmeaOfDrive(templates, epochs);

  // The radar: the scripted scene over the window, stamped with the drive's times (µs, as candump
  // writes them), the header carrying the drive's speed of the latest epoch.
  const windowS = endNs === undefined ? Number(all[all.length - 1].ns - startNs) / 1e9 : durationS;
  const speedAt = (t: number) => {
    const ns = startNs + BigInt(Math.round(t * 1e9));
    let v = 0;
    for (const e of epochs) if (e.posNs <= ns && e.speedValid) v = e.speed;
    return v;
  };
  const radarFrames = radarScanFrames({ radar: radarDb, startNs, durationS: windowS, iface: `can${RADAR_CHANNEL}`, egoSpeed: speedAt });
  const radarLog = join(o.outDir, 'radar.candump.log');
  writeFileSync(radarLog, radarFrames.map((f) => formatCandumpLine(f)).join('\n') + '\n');
  const radarScans = radarFrames.filter((f) => f.id === radarDb.byName('ESR_Status')!.id).length;

  return {
    recordingFiles: [path(DEMO_FILES.recording), radarLog],
    startS,
    durationS,
    originNs,
    startNs,
    endNs,
    epochs,
    nmea,
    epochsAvailable: epochsAll.length,
    frames,
    gnssFrames,
    radarFrames,
    radarScans,
    gnssDb,
    radarDb,
  };
}
