// The demo's receiver line, DERIVED from a real drive: the GNSS epochs a CANedge logger recorded
// from a CSS CANmod.gps module on CAN (gnss.dbc: gnss_status, gnss_time, gnss_pos, gnss_altitude,
// gnss_attitude, gnss_speed at 1 Hz), written as the NMEA a real u-blox ZED-F9P sends: each epoch
// takes the sentence set, order, talker ids and field layout of one epoch of the real receiver's
// log, with the drive's values put into the fields that carry them and the checksums recomputed.
// Nothing is interpolated: one NMEA epoch per recorded GNSS epoch, its values as recorded.
//
//   field (sentence)                       from the drive
//   UTC time, date (RMC GGA GLL GST ZDA GBS) gnss_time.Epoch (rounded to the sentence's 0.01 s)
//   latitude, longitude (RMC GGA GLL)       gnss_pos.Latitude/Longitude (1e-6°, exact in ddmm.mmmmm)
//   fix quality (GGA), status/mode letters  gnss_status.FixType, gnss_pos.PositionValid (u-blox's mapping)
//   satellites used (GGA)                   gnss_status.Satellites
//   altitude (GGA)                          gnss_altitude.Altitude: the CANmod's height above the WGS 84
//                                           ellipsoid, so the geoid separation is written as 0.0 (as a
//                                           receiver without a geoid model sends it)
//   speed (RMC knots, VTG knots and km/h)   gnss_speed.Speed
//   course (RMC, VTG true)                  gnss_attitude.Heading: the vehicle's heading (the recording has
//                                           no course over ground; they differ by 180° while reversing)
//   σ lat/lon/alt (GST), errors (GBS)       gnss_pos.PositionAccuracy, gnss_altitude.AltitudeAccuracy
//   everything else                         the real log's own values (GSA/GSV satellites, DOPs, GST rms)
// Pure: decoded frames in, epochs and sentences out.

/** A decoded frame of the GNSS module: its recorded time and every signal's physical value. */
export interface GnssFrame {
  /** Recording time [ns since the Unix epoch]. */
  ns: bigint;
  /** DBC message name (gnss_status, gnss_pos, ...). */
  message: string;
  values: Record<string, number>;
}

/** One 1 Hz epoch of the GNSS module, as recorded (NaN: the drive did not carry it). */
export interface GnssEpoch {
  /** Recording time of the epoch's first frame (gnss_status, else gnss_pos) [ns]. */
  firstNs: bigint;
  /** Recording time of its gnss_pos frame [ns]: when the position was on the bus. */
  posNs: bigint;
  fixType: number;
  satellites: number;
  timeValid: boolean;
  /** UTC [s since the Unix epoch]. */
  utc: number;
  positionValid: boolean;
  latitude: number;
  longitude: number;
  /** [m] */
  positionAccuracy: number;
  altitudeValid: boolean;
  /** Height above the WGS 84 ellipsoid [m]. */
  altitude: number;
  altitudeAccuracy: number;
  attitudeValid: boolean;
  /** Vehicle heading, degrees clockwise from north. */
  heading: number;
  speedValid: boolean;
  /** Speed over ground [m/s]. */
  speed: number;
}

function emptyEpoch(ns: bigint): GnssEpoch {
  return {
    firstNs: ns,
    posNs: -1n,
    fixType: NaN,
    satellites: NaN,
    timeValid: false,
    utc: NaN,
    positionValid: false,
    latitude: NaN,
    longitude: NaN,
    positionAccuracy: NaN,
    altitudeValid: false,
    altitude: NaN,
    altitudeAccuracy: NaN,
    attitudeValid: false,
    heading: NaN,
    speedValid: false,
    speed: NaN,
  };
}

/**
 * The epochs of a GNSS module's frames in time order: a gnss_status frame opens an epoch, the
 * frames up to the next gnss_status fill it; an epoch without a gnss_pos frame is left out (there
 * is no position to send). Other messages (IMU, odometer, geofence) are ignored.
 */
export function gnssEpochsOf(frames: Iterable<GnssFrame>): GnssEpoch[] {
  const out: GnssEpoch[] = [];
  let cur: GnssEpoch | undefined;
  const close = () => {
    if (cur && cur.posNs >= 0n) out.push(cur);
  };
  for (const f of frames) {
    const v = f.values;
    switch (f.message) {
      case 'gnss_status':
        close();
        cur = emptyEpoch(f.ns);
        cur.fixType = v.FixType;
        cur.satellites = v.Satellites;
        break;
      case 'gnss_time':
        cur ??= emptyEpoch(f.ns);
        cur.timeValid = v.TimeValid === 1;
        cur.utc = v.Epoch;
        break;
      case 'gnss_pos':
        if (cur === undefined || cur.posNs >= 0n) {
          close();
          cur = emptyEpoch(f.ns);
        }
        cur.posNs = f.ns;
        cur.positionValid = v.PositionValid === 1;
        cur.latitude = v.Latitude;
        cur.longitude = v.Longitude;
        cur.positionAccuracy = v.PositionAccuracy;
        break;
      case 'gnss_altitude':
        if (!cur) break;
        cur.altitudeValid = v.AltitudeValid === 1;
        cur.altitude = v.Altitude;
        cur.altitudeAccuracy = v.AltitudeAccuracy;
        break;
      case 'gnss_attitude':
        if (!cur) break;
        cur.attitudeValid = v.AttitudeValid === 1;
        cur.heading = v.Heading;
        break;
      case 'gnss_speed':
        if (!cur) break;
        cur.speedValid = v.SpeedValid === 1;
        cur.speed = v.Speed;
        break;
    }
  }
  close();
  return out;
}

/**
 * GGA fix quality of an epoch, as a u-blox receiver maps its fix type (UBX NAV-PVT fixType, what
 * the CANmod's FixType carries): 0 no fix, 1 dead reckoning only → 6 (estimated), 2 2D, 3 3D and
 * 4 GNSS + dead reckoning → 1 (GNSS fix), 5 time only → 0. An invalid position is no fix.
 */
export function ggaQuality(e: GnssEpoch): number {
  if (!e.positionValid || !Number.isFinite(e.latitude) || !Number.isFinite(e.longitude)) return 0;
  switch (e.fixType) {
    case 1:
      return 6;
    case 2:
    case 3:
    case 4:
      return 1;
    default:
      return 0;
  }
}

/** NMEA mode indicator of a quality: A autonomous, E estimated (dead reckoning), N no fix. */
function modeOf(quality: number): string {
  return quality === 6 ? 'E' : quality === 0 ? 'N' : 'A';
}

/** The checksum of a sentence body (between '$' and '*'), two upper-case hex digits. */
export function nmeaChecksum(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i);
  return x.toString(16).toUpperCase().padStart(2, '0');
}

const KNOTS_PER_MPS = 3600 / 1852;

/** Degrees as NMEA ddmm.mmmmm / dddmm.mmmmm with `decimals` decimals of minutes; [value, hemisphere]. */
export function nmeaAngle(deg: number, degDigits: 2 | 3, decimals: number, hemispheres: [string, string]): [string, string] {
  if (!Number.isFinite(deg)) return ['', ''];
  const scale = 10 ** decimals;
  // Whole units of the last digit, so minutes never print as 60.
  const units = Math.round(Math.abs(deg) * 60 * scale);
  const whole = Math.floor(units / (60 * scale));
  const minutes = (units - whole * 60 * scale) / scale;
  const mm = minutes.toFixed(decimals).padStart(decimals + 3, '0');
  return [`${String(whole).padStart(degDigits, '0')}${mm}`, deg < 0 ? hemispheres[1] : hemispheres[0]];
}

/** UTC seconds → {hhmmss.ss, ddmmyy, day, month, year} at 0.01 s. */
function utcFields(utc: number): { time: string; ddmmyy: string; day: string; month: string; year: string } | undefined {
  if (!Number.isFinite(utc)) return undefined;
  const cs = Math.round(utc * 100);
  const d = new Date(Math.floor(cs / 100) * 1000);
  const p2 = (n: number) => String(n).padStart(2, '0');
  const time = `${p2(d.getUTCHours())}${p2(d.getUTCMinutes())}${p2(d.getUTCSeconds())}.${p2(cs % 100)}`;
  return { time, ddmmyy: `${p2(d.getUTCDate())}${p2(d.getUTCMonth() + 1)}${p2(d.getUTCFullYear() % 100)}`, day: p2(d.getUTCDate()), month: p2(d.getUTCMonth() + 1), year: String(d.getUTCFullYear()) };
}

/** Decimals of a template field ("4552.65403" → 5), or `fallback` when it is empty. */
function decimalsOf(field: string, fallback: number): number {
  const dot = field.indexOf('.');
  return dot < 0 || field === '' ? fallback : field.length - dot - 1;
}

const num = (v: number, decimals: number) => (Number.isFinite(v) ? v.toFixed(decimals) : '');

/**
 * One sentence of the template ("$GNGGA,...*56", no line end) with the epoch's values in the
 * fields that carry them; other sentence types come back unchanged.
 */
export function substituteSentence(template: string, e: GnssEpoch): string {
  const star = template.lastIndexOf('*');
  const body = template.slice(1, star < 0 ? undefined : star);
  const f = body.split(',');
  const type = f[0].slice(-3);
  const q = ggaQuality(e);
  const valid = q !== 0;
  const t = e.timeValid ? utcFields(e.utc) : undefined;
  const need = (n: number) => {
    if (f.length < n) throw new Error(`template ${f[0]} has ${f.length - 1} fields, fewer than ${n - 1}`);
  };
  const latlon = (iLat: number) => {
    const [lat, ns] = valid ? nmeaAngle(e.latitude, 2, decimalsOf(f[iLat], 5), ['N', 'S']) : ['', ''];
    const [lon, ew] = valid ? nmeaAngle(e.longitude, 3, decimalsOf(f[iLat + 2], 5), ['E', 'W']) : ['', ''];
    f[iLat] = lat;
    f[iLat + 1] = ns;
    f[iLat + 2] = lon;
    f[iLat + 3] = ew;
  };
  const moving = e.speedValid && Number.isFinite(e.speed);
  const course = valid && moving && e.attitudeValid ? num(e.heading, 2) : '';
  switch (type) {
    case 'RMC':
      need(13);
      f[1] = t?.time ?? '';
      f[2] = valid ? 'A' : 'V';
      latlon(3);
      f[7] = moving ? num(e.speed * KNOTS_PER_MPS, decimalsOf(f[7], 3)) : '';
      f[8] = course;
      f[9] = t?.ddmmyy ?? '';
      f[12] = modeOf(q);
      break;
    case 'VTG':
      need(10);
      f[1] = course;
      f[5] = moving ? num(e.speed * KNOTS_PER_MPS, decimalsOf(f[5], 3)) : '';
      f[7] = moving ? num(e.speed * 3.6, decimalsOf(f[7], 3)) : '';
      f[9] = modeOf(q);
      break;
    case 'GGA':
      need(15);
      f[1] = t?.time ?? '';
      latlon(2);
      f[6] = String(q);
      f[7] = Number.isFinite(e.satellites) ? String(e.satellites).padStart(2, '0') : '';
      f[9] = valid && e.altitudeValid ? num(e.altitude, decimalsOf(f[9], 1)) : '';
      f[11] = valid && e.altitudeValid ? (0).toFixed(decimalsOf(f[11], 1)) : '';
      break;
    case 'GLL':
      need(8);
      latlon(1);
      f[5] = t?.time ?? '';
      f[6] = valid ? 'A' : 'V';
      f[7] = modeOf(q);
      break;
    case 'GST':
      need(9);
      f[1] = t?.time ?? '';
      f[6] = valid ? num(e.positionAccuracy, decimalsOf(f[6], 1)) : '';
      f[7] = valid ? num(e.positionAccuracy, decimalsOf(f[7], 1)) : '';
      f[8] = valid && e.altitudeValid ? num(e.altitudeAccuracy, decimalsOf(f[8], 1)) : '';
      break;
    case 'GBS':
      need(5);
      f[1] = t?.time ?? '';
      f[2] = valid ? num(e.positionAccuracy, decimalsOf(f[2], 1)) : '';
      f[3] = valid ? num(e.positionAccuracy, decimalsOf(f[3], 1)) : '';
      f[4] = valid && e.altitudeValid ? num(e.altitudeAccuracy, decimalsOf(f[4], 1)) : '';
      break;
    case 'ZDA':
      need(5);
      f[1] = t?.time ?? '';
      f[2] = t?.day ?? '';
      f[3] = t?.month ?? '';
      f[4] = t?.year ?? '';
      break;
    default:
      return template;
  }
  const out = f.join(',');
  return `$${out}*${nmeaChecksum(out)}`;
}

/** A receiver log as epochs of sentences (a u-blox epoch starts with RMC); '#' comment lines dropped. */
export function logEpochs(text: string): string[][] {
  const out: string[][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.startsWith('$')) continue;
    if (line.slice(3, 6) === 'RMC' || out.length === 0) out.push([]);
    out[out.length - 1].push(line);
  }
  return out;
}

/**
 * The NMEA epochs of a drive: epoch k framed as template epoch k mod templates.length, its values
 * substituted; each as the bytes a receiver sends (sentences with CR LF).
 */
export function nmeaOfDrive(templates: readonly string[][], epochs: readonly GnssEpoch[]): string[] {
  if (templates.length === 0) throw new Error('the receiver log has no epochs to frame the drive with');
  return epochs.map((e, k) => templates[k % templates.length].map((s) => `${substituteSentence(s, e)}\r\n`).join(''));
}
