// NMEA 0183 sentences → NavSatFix, velocity (TwistWithCovarianceStamped), heading
// (QuaternionStamped) and vil/GnssStatus. Pure: sentences in, messages out through a sink.
//
// Epochs. A receiver reports one solution per epoch across several sentences. Every sentence
// with a UTC time field (GGA GNS RMC GLL GST ZDA GBS GRS) names its epoch; a new time ends the
// previous epoch. Sentences without time (GSA VTG HDT THS) belong to the current epoch.
//
// Fix and status of an epoch are published together, once ("commit"):
// - GST gives the covariance. It may come before GGA (Septentrio) or after it (u-blox sends it near
//   the end of the epoch). When the epoch's GST is already there at GGA, the fix goes out at once.
//   Otherwise the fix is held until that epoch's GST arrives or the epoch ends (next UTC time,
//   or flush()), but only while the stream is known or not yet known to send GST: the first epoch
//   of a stream waits; a stream that then shows no GST (one epoch without it, or `gstMissLimit`
//   consecutive epochs after GST had been seen) is marked GST-less and its fixes go out at GGA
//   with no added latency. A GST seen again re-enables waiting.
// - GGA/GNS without a time of day cannot be matched with anything: published at once.
// - A GST naming the previous epoch (sent after the next one began) is ignored (lateGst): such a
//   stream never shows GST in time, so it is treated as GST-less.
// - A second GGA (or GNS) with the same time is a repeat: ignored and counted.
//
// Fix:
// - altitude = MSL altitude + geoid separation (ellipsoidal, as NavSatFix wants); NaN when the
//   receiver gives no altitude, and NaN (counted noGeoidSeparation) when it gives MSL altitude
//   without the separation, since vil carries no geoid model to supply it.
// - status from the GGA quality: 0 → NO_FIX; 1 GPS, 3 PPS (precise service, a real fix), 6 estimated
//   (dead reckoning: a usable position, its covariance says how good) → FIX; 2 DGPS, 9 SBAS →
//   SBAS_FIX; 4 RTK fixed, 5 RTK float → GBAS_FIX; 7 manual input and 8 simulation → NO_FIX (a
//   position the receiver did not measure must not pass as a fix; GnssStatus.quality says which).
//   GNS mode letters map to the same qualities (A 1, D 2, P 3, R 4, F 5, E 6, M 7, S 8, N 0; the
//   best letter over all constellations).
// - service bits: constellations used in the epoch: GSA satellite lists (NMEA 4.1 system id, else
//   the talker, else PRN ranges for GN), GNS mode letters, and single-system talkers (GP GL GA
//   GB/BD) of GGA/GNS/RMC/GSA. GSV (satellites in view, not used) does not count. When the epoch
//   has no GSA/GNS information yet at commit (GSA after GGA, no GST), the previous epoch's is used.
//   Nothing known → SERVICE_UNKNOWN (0).
// - covariance (ENU: east = longitude, north = latitude, up = altitude):
//   1. the epoch's GST σ lat, σ lon, σ alt → diagonal, COVARIANCE_TYPE_DIAGONAL_KNOWN;
//   2. else HDOP (GGA, else GSA) and the UERE of the quality: per horizontal axis
//      σ² = (HDOP·UERE)²/2 (HDOP·UERE is the horizontal RMS over both axes), up
//      σ² = (VDOP·UERE)² with VDOP from the current or previous epoch's GSA, else 2·HDOP →
//      COVARIANCE_TYPE_APPROXIMATED;
//   3. else (no fix, manual, simulation, no HDOP) zeros, COVARIANCE_TYPE_UNKNOWN.
//   GST with σ lat/lon but no σ alt: horizontal from GST, up approximated → APPROXIMATED.
// - no position (empty fields, e.g. `$GPGGA,,,,,,0,,,,M,,M,,*66`) → no NavSatFix (counted
//   emptyFix); the GnssStatus of the epoch is still published.
//
// Velocity: RMC (status A/D, mode not N) or VTG (mode not N) speed over ground and true course →
// ENU x = v·sin(course), y = v·cos(course), z = 0. One per epoch: RMC is preferred (it has a time);
// VTG is used only when no RMC came in the current or previous epoch. Covariance: x, y variance
// velocityStddev²; z and the angular rates are not measured: 0 with unknownVariance. A speed
// without course (receivers leave the course empty when stationary): x = y = 0 with variance
// v²/2 + velocityStddev² per axis (direction unknown, magnitude v).
//
// Satellites in view: GSV groups (one per talker and NMEA 4.10 signal) are assembled and handed to
// the sink's optional `satellites` when complete (see nmea_gsv.ts); they do not end or start epochs.
//
// Heading: HDT (and THS, mode not V) true heading, clockwise from north → ENU yaw = π/2 − heading,
// quaternion about z. Empty or invalid → nothing published (counted emptyHeading).
//
// Stamps: receive time (of the first byte of the GGA/GNS, RMC/VTG, HDT/THS) by default. With
// stamp 'gnss': UTC of the epoch with the date from RMC or ZDA (never the machine's date; a day is
// added/subtracted when the time of day wrapped past midnight since the date was learnt). Until a
// date is known, or for sentences without an epoch time, no GNSS stamp can be made: those
// messages are dropped and counted (noGnssTime). RMC carries its own date, so RMC-first receivers
// lose nothing.
//
// Values a ROS field cannot hold (a corrupt sentence, or a date past 2038) never cost the whole
// message: the field is rejected, counted, and the rest goes out.
// - satellites used > 65,535 (GnssStatus.satellites_used is uint16) → 0, "not reported": a count
//   that large is no measurement, and clamping would publish a made-up one;
// - HDOP, VDOP, PDOP or correction age beyond float32 (±3.4e38) → NaN, "not reported" (likewise;
//   a rejected HDOP is not used for the covariance either);
// - a GNSS time at or after 2038-01-19 03:14:08 UTC (builtin_interfaces/Time.sec is int32; RMC's
//   two-digit years reach 2079, ZDA's four-digit ones 2199) → GnssStatus.gnss_time_valid false,
//   and with stamp 'gnss' the message is stamped with its receive time instead.
import type { Time } from '../runtime/ros.js';
import {
  GnssStatus,
  NavSatFixCovariance,
  NavSatStatus,
  type GnssStatusMsg,
  type NavSatFixMsg,
  type QuaternionStampedMsg,
  type TwistWithCovarianceStampedMsg,
} from '../runtime/msg_types.js';
import { NmeaFields, civilToDays } from './nmea_fields.js';
import { GsvAssembler, type SatellitesInView } from './nmea_gsv.js';

export type { SatellitesInView } from './nmea_gsv.js';

/** Default UERE [m] by GGA quality 0…9; NaN: no approximated covariance for that quality. */
export const DEFAULT_UERE_M: readonly number[] = [
  NaN, // 0 no fix
  3.0, // 1 GPS (autonomous)
  0.7, // 2 DGPS
  3.0, // 3 PPS
  0.02, // 4 RTK fixed
  0.5, // 5 RTK float
  10.0, // 6 estimated (dead reckoning)
  NaN, // 7 manual input
  NaN, // 8 simulation
  1.0, // 9 SBAS
];

export const QUALITY_NAMES: readonly string[] = ['no_fix', 'gps', 'dgps', 'pps', 'rtk_fixed', 'rtk_float', 'estimated', 'manual', 'simulation', 'sbas'];

const STATUS_BY_QUALITY: readonly number[] = [
  NavSatStatus.STATUS_NO_FIX,
  NavSatStatus.STATUS_FIX,
  NavSatStatus.STATUS_SBAS_FIX,
  NavSatStatus.STATUS_FIX,
  NavSatStatus.STATUS_GBAS_FIX,
  NavSatStatus.STATUS_GBAS_FIX,
  NavSatStatus.STATUS_FIX,
  NavSatStatus.STATUS_NO_FIX,
  NavSatStatus.STATUS_NO_FIX,
  NavSatStatus.STATUS_SBAS_FIX,
];

export interface NmeaDecoderOptions {
  /** header.frame_id of every decoded message. */
  frameId: string;
  /** Header stamps: receive time of the sentence, or GNSS (UTC) time of the epoch. */
  stamp: 'receive' | 'gnss';
  /** UERE [m] by GGA quality 0…9 for the HDOP covariance fallback; NaN → none. Default DEFAULT_UERE_M. */
  uereByQuality?: readonly number[];
  /** Standard deviation of each horizontal velocity component [m/s]. Default 0.1. */
  velocityStddev?: number;
  /** Variance given to components NMEA does not measure (vertical and angular velocity). Default 1e6. */
  unknownVariance?: number;
  /** Consecutive epochs without GST after which a GST stream is treated as GST-less. Default 3. */
  gstMissLimit?: number;
}

export interface NmeaSink {
  fix(m: NavSatFixMsg): void;
  velocity(m: TwistWithCovarianceStampedMsg): void;
  heading(m: QuaternionStampedMsg): void;
  status(m: GnssStatusMsg): void;
  /** A complete GSV group; the view is reused: valid during the call only. */
  satellites?(v: SatellitesInView): void;
}

export interface NmeaDecoderCounters {
  /** Sentences pushed (named apart from the framer's `sentences`: both land in one diagnostics table). */
  decoded: number;
  fixes: number;
  velocities: number;
  headings: number;
  statuses: number;
  /** Standard sentences vil does not decode (TXT, ...). */
  unsupported: number;
  /** $P... manufacturer sentences. */
  proprietary: number;
  /** Complete GSV groups (satellites in view of one talker and signal). */
  satelliteGroups: number;
  /** GSV groups dropped for a missing, repeated or out-of-order sentence. */
  incompleteSatelliteGroups: number;
  /** Sentences with a field that is present but invalid (the rest of the sentence is used if possible). */
  malformed: number;
  /** GGA/GNS without a position: no NavSatFix. */
  emptyFix: number;
  /** RMC/VTG without a usable velocity (invalid status or mode, empty speed). */
  emptyVelocity: number;
  /** HDT/THS without a usable heading. */
  emptyHeading: number;
  /** GGA/GNS repeating an epoch already reported. */
  repeatedEpoch: number;
  /** Epochs whose fix waited for a GST that did not come. */
  gstMissing: number;
  /** Messages dropped in GNSS-stamp mode because no date or epoch time was known yet. */
  noGnssTime: number;
  /** Fixes with MSL altitude but no geoid separation (altitude NaN). */
  noGeoidSeparation: number;
  /** GST naming the epoch before the current one (sent after the next epoch began): not usable, ignored. */
  lateGst: number;
  /** Satellite counts above 65,535 (uint16): published as 0 (not reported). */
  satellitesBeyondUint16: number;
  /** DOPs and correction ages beyond float32: published as NaN (not reported). */
  valuesBeyondFloat32: number;
  /** Messages whose GNSS time lies beyond int32 seconds (2038-01-19): gnss_time_valid false, receive stamp. */
  gnssTimeBeyondInt32: number;
}

/** GnssStatus.satellites_used is uint16. */
const UINT16_MAX = 65535;
/** Largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;
/** builtin_interfaces/Time.sec is int32. */
const INT32_MAX = 2147483647;

const KNOTS_TO_MPS = 1852 / 3600;
/** [m/s]: a faster speed over ground is no measurement. */
const SPEED_OF_LIGHT = 299_792_458;
const DEG = Math.PI / 180;
const NS_PER_DAY = 86_400_000_000_000;
const HALF_DAY_NS = NS_PER_DAY / 2;

function typeKey(t: string): number {
  return (t.charCodeAt(0) << 16) | (t.charCodeAt(1) << 8) | t.charCodeAt(2);
}
const T_GGA = typeKey('GGA');
const T_GNS = typeKey('GNS');
const T_RMC = typeKey('RMC');
const T_VTG = typeKey('VTG');
const T_GSA = typeKey('GSA');
const T_GST = typeKey('GST');
const T_HDT = typeKey('HDT');
const T_THS = typeKey('THS');
const T_ZDA = typeKey('ZDA');
const T_GLL = typeKey('GLL');
const T_GBS = typeKey('GBS');
const T_GRS = typeKey('GRS');
const T_GSV = typeKey('GSV');

const GPS = NavSatStatus.SERVICE_GPS;
const GLONASS = NavSatStatus.SERVICE_GLONASS;
const COMPASS = NavSatStatus.SERVICE_COMPASS;
const GALILEO = NavSatStatus.SERVICE_GALILEO;

/** NMEA 4.10 system ids (GSA field 18) → service bit. 5 QZSS and 6 NavIC have no NavSatStatus bit. */
const SERVICE_BY_SYSTEM_ID = [0, GPS, GLONASS, GALILEO, COMPASS, 0, 0];
/** GNS mode letters are per constellation in this order. */
const SERVICE_BY_GNS_POSITION = [GPS, GLONASS, GALILEO, COMPASS, 0, 0];

/** Service bit of a single-system talker id; 0 for GN (combined) and others. */
function talkerService(c1: number, c2: number): number {
  if (c1 === 0x47 /* G */) {
    if (c2 === 0x50 /* P */) return GPS;
    if (c2 === 0x4c /* L */) return GLONASS;
    if (c2 === 0x41 /* A */) return GALILEO;
    if (c2 === 0x42 /* B */) return COMPASS;
  } else if (c1 === 0x42 /* B */ && c2 === 0x44 /* D */) return COMPASS;
  return 0;
}

/** Constellation of an NMEA satellite id when the talker is GN and no system id is given. */
function prnService(prn: number): number {
  if (prn >= 1 && prn <= 32) return GPS;
  if (prn >= 65 && prn <= 96) return GLONASS;
  if ((prn >= 201 && prn <= 237) || (prn >= 401 && prn <= 437)) return COMPASS;
  if (prn >= 301 && prn <= 336) return GALILEO;
  return 0; // SBAS, QZSS, unknown
}

/** GNS mode letter → GGA quality, and its rank (higher is better) to pick the best constellation. */
function gnsQuality(c: number): number {
  switch (c) {
    case 0x41: return 1; // A autonomous
    case 0x44: return 2; // D differential
    case 0x50: return 3; // P precise
    case 0x52: return 4; // R RTK fixed
    case 0x46: return 5; // F RTK float
    case 0x45: return 6; // E estimated
    case 0x4d: return 7; // M manual
    case 0x53: return 8; // S simulator
    default: return 0; // N or unknown
  }
}
const GNS_RANK = [0, 4, 6, 5, 8, 7, 3, 2, 1, 0];

const enum GstState {
  Unknown,
  Present,
  Absent,
}

const enum GnssTime {
  /** No date or no time of day yet. */
  None,
  Valid,
  /** After 2038-01-19 03:14:07 UTC: no ROS time stamp holds it (int32 seconds). */
  BeyondRosTime,
}

const enum PositionSource {
  None,
  Gga,
  Gns,
}

export class NmeaDecoder {
  readonly counters: NmeaDecoderCounters = {
    decoded: 0,
    fixes: 0,
    velocities: 0,
    headings: 0,
    statuses: 0,
    unsupported: 0,
    proprietary: 0,
    satelliteGroups: 0,
    incompleteSatelliteGroups: 0,
    malformed: 0,
    emptyFix: 0,
    emptyVelocity: 0,
    emptyHeading: 0,
    repeatedEpoch: 0,
    gstMissing: 0,
    noGnssTime: 0,
    noGeoidSeparation: 0,
    lateGst: 0,
    satellitesBeyondUint16: 0,
    valuesBeyondFloat32: 0,
    gnssTimeBeyondInt32: 0,
  };

  private readonly f = new NmeaFields();
  private readonly gsvGroups = new GsvAssembler();
  private readonly frameId: string;
  private readonly gnssStamps: boolean;
  private readonly uere: Float64Array;
  private readonly velocityVariance: number;
  private readonly unknownVariance: number;
  private readonly gstMissLimit: number;

  // Current epoch, and the time of day of the one before it.
  private epochTod = -1;
  private previousTod = -1;
  private epochSeq = 0;
  private committed = false;
  private usedServices = 0;
  private previousUsedServices = 0;

  // The epoch's position (GGA or GNS), held until commit.
  private source = PositionSource.None;
  private pTod = -1;
  private pRecvSec = 0;
  private pRecvNs = 0;
  private pHasPosition = false;
  private pLat = NaN;
  private pLon = NaN;
  private pAlt = NaN;
  private pQuality = 0;
  private pSats = 0;
  private pHdop = NaN;
  private pAge = NaN;
  private pStation = '';
  private pTalkerServices = 0;

  // The epoch's GST.
  private gstSeen = false;
  private gstLat = NaN;
  private gstLon = NaN;
  private gstAlt = NaN;
  private gstState = GstState.Unknown;
  private gstMisses = 0;

  // Latest GSA.
  private gsaSeq = -10;
  private gsaFixMode = 0;
  private gsaPdop = NaN;
  private gsaHdop = NaN;
  private gsaVdop = NaN;

  // Date (days since 1970) learnt from RMC/ZDA at time of day dateTod; century from ZDA.
  private dateDays = -1;
  private dateTod = 0;
  private century = -1;

  /** Epoch sequence number of the last RMC (VTG is used only without a recent RMC). */
  private rmcSeq = -10;

  // Result of gnssTime().
  private tSec = 0;
  private tNs = 0;

  constructor(
    options: NmeaDecoderOptions,
    private readonly sink: NmeaSink,
  ) {
    this.frameId = options.frameId;
    this.gnssStamps = options.stamp === 'gnss';
    const uere = options.uereByQuality ?? DEFAULT_UERE_M;
    this.uere = new Float64Array(16).fill(NaN);
    for (let q = 0; q < 10 && q < uere.length; q++) this.uere[q] = uere[q];
    const sv = options.velocityStddev ?? 0.1;
    this.velocityVariance = sv * sv;
    this.unknownVariance = options.unknownVariance ?? 1e6;
    this.gstMissLimit = Math.max(1, options.gstMissLimit ?? 3);
  }

  /** Decodes one checksum-valid sentence ("$GPGGA,...*hh", no CR/LF) received at `receiveTime`. */
  push(sentence: string, receiveTime: Time): void {
    this.counters.decoded++;
    const s = sentence;
    // "$" + 2-letter talker + 3-letter type, then ',' (or '*' for a sentence without fields).
    const c6 = s.charCodeAt(6);
    if (s.charCodeAt(0) !== 0x24 || (c6 !== 0x2c && c6 !== 0x2a)) {
      if (s.charCodeAt(1) === 0x50 /* P */) this.counters.proprietary++;
      else this.counters.unsupported++;
      return;
    }
    const c1 = s.charCodeAt(1);
    if (c1 === 0x50 /* P */) {
      this.counters.proprietary++;
      return;
    }
    const key = (s.charCodeAt(3) << 16) | (s.charCodeAt(4) << 8) | s.charCodeAt(5);
    const f = this.f;
    switch (key) {
      case T_GGA:
        f.load(s);
        this.gga(receiveTime, talkerService(c1, s.charCodeAt(2)));
        break;
      case T_GNS:
        f.load(s);
        this.gns(receiveTime, talkerService(c1, s.charCodeAt(2)));
        break;
      case T_RMC:
        f.load(s);
        this.rmc(receiveTime, talkerService(c1, s.charCodeAt(2)));
        break;
      case T_VTG:
        f.load(s);
        this.vtg(receiveTime);
        break;
      case T_GSA:
        f.load(s);
        this.gsa(talkerService(c1, s.charCodeAt(2)));
        break;
      case T_GST:
        f.load(s);
        this.gst();
        break;
      case T_HDT:
        f.load(s);
        this.heading(receiveTime, 0);
        break;
      case T_THS:
        f.load(s);
        this.heading(receiveTime, 2);
        break;
      case T_ZDA:
        f.load(s);
        this.zda();
        break;
      case T_GLL:
        f.load(s);
        this.observeTime(f.timeOfDay(5));
        break;
      case T_GSV:
        f.load(s);
        this.gsv((c1 << 8) | s.charCodeAt(2));
        break;
      case T_GBS:
      case T_GRS:
        f.load(s);
        this.observeTime(f.timeOfDay(1));
        break;
      default:
        this.counters.unsupported++;
        return;
    }
    if (f.malformed) this.counters.malformed++;
  }

  /** End of input: publishes what an epoch still holds. */
  flush(): void {
    if (this.source !== PositionSource.None && !this.committed) this.commit();
  }

  // ---- epochs ----

  private observeTime(tod: number): void {
    if (tod < 0 || tod === this.epochTod) return;
    this.closeEpoch();
    this.startEpoch(tod);
  }

  private startEpoch(tod: number): void {
    this.previousTod = this.epochTod;
    this.epochTod = tod;
    this.epochSeq++;
    this.committed = false;
    this.source = PositionSource.None;
    this.gstSeen = false;
    this.gstLat = this.gstLon = this.gstAlt = NaN;
    if (this.usedServices !== 0) this.previousUsedServices = this.usedServices;
    this.usedServices = 0;
  }

  private closeEpoch(): void {
    if (this.source === PositionSource.None || this.pTod < 0) return;
    if (!this.gstSeen) {
      if (!this.committed && this.gstState === GstState.Present) this.counters.gstMissing++;
      if (this.gstState === GstState.Unknown || ++this.gstMisses >= this.gstMissLimit) this.gstState = GstState.Absent;
    }
    if (!this.committed) this.commit();
  }

  /** Starts the epoch a position sentence belongs to; false when it repeats one already reported. */
  private positionEpoch(tod: number, source: PositionSource): boolean {
    if (tod < 0) {
      // No time: a cycle of its own, published at once.
      this.closeEpoch();
      this.startEpoch(-1);
    } else {
      this.observeTime(tod);
      if (this.source !== PositionSource.None) {
        if (this.source === source) this.counters.repeatedEpoch++;
        return false;
      }
    }
    this.source = source;
    this.pTod = tod;
    return true;
  }

  /** Publishes now, or holds the epoch for its GST. */
  private positionDone(): void {
    if (this.pTod < 0 || this.gstSeen || this.gstState === GstState.Absent) this.commit();
  }

  // ---- sentences ----

  private gga(t: Time, talker: number): void {
    const f = this.f;
    if (!this.positionEpoch(f.timeOfDay(1), PositionSource.Gga)) return;
    const q = f.uint(6);
    this.fillPosition(t, talker, q < 0 ? 0 : q, 2, 7, 8, 9, 11, 13, 14);
    this.positionDone();
  }

  private gns(t: Time, talker: number): void {
    const f = this.f;
    // Constellations used, from the per-system mode letters (also when GGA gave the position).
    let best = 0;
    let services = 0;
    const letters = f.length(6);
    for (let k = 0; k < letters; k++) {
      {
        const q = gnsQuality(f.charAt(6, k));
        if (q !== 0 && k < SERVICE_BY_GNS_POSITION.length) services |= SERVICE_BY_GNS_POSITION[k];
        if (GNS_RANK[q] > GNS_RANK[best]) best = q;
      }
    }
    if (!this.positionEpoch(f.timeOfDay(1), PositionSource.Gns)) {
      this.usedServices |= services;
      return;
    }
    this.usedServices |= services;
    this.fillPosition(t, talker, best, 2, 7, 8, 9, 10, 11, 12);
    this.positionDone();
  }

  private fillPosition(t: Time, talker: number, quality: number, latField: number, satsField: number, hdopField: number, altField: number, sepField: number, ageField: number, stationField: number): void {
    const f = this.f;
    if (quality > 9) {
      f.malformed = true;
      quality = 0;
    }
    this.pRecvSec = t.sec;
    this.pRecvNs = t.nanosec;
    this.pQuality = quality;
    this.pTalkerServices = talker;
    const lat = f.coordinate(latField, 90);
    const lon = f.coordinate(latField + 2, 180);
    this.pHasPosition = lat === lat && lon === lon;
    this.pLat = lat;
    this.pLon = lon;
    const msl = f.decimal(altField);
    const sep = f.decimal(sepField);
    this.pAlt = msl + sep;
    if (this.pAlt === Infinity || this.pAlt === -Infinity) {
      // Each a double, their sum is not: no altitude.
      f.malformed = true;
      this.pAlt = NaN;
    }
    if (this.pHasPosition) {
      if (msl === msl && sep !== sep) this.counters.noGeoidSeparation++;
    } else {
      this.counters.emptyFix++;
    }
    const sats = f.uint(satsField);
    if (sats > UINT16_MAX) this.counters.satellitesBeyondUint16++;
    this.pSats = sats < 0 || sats > UINT16_MAX ? 0 : sats;
    this.pHdop = this.float32(f.decimal(hdopField));
    this.pAge = this.float32(f.decimal(ageField));
    this.pStation = f.empty(stationField) ? '' : f.text(stationField);
  }

  private gst(): void {
    const f = this.f;
    const tod = f.timeOfDay(1);
    if (tod < 0) return; // cannot be matched with a fix
    if (tod === this.previousTod) {
      // Its epoch has ended and been published; re-opening it would split the current one.
      this.counters.lateGst++;
      return;
    }
    this.observeTime(tod);
    this.gstSeen = true;
    this.gstState = GstState.Present;
    this.gstMisses = 0;
    this.gstLat = this.sigma(6);
    this.gstLon = this.sigma(7);
    this.gstAlt = this.sigma(8);
    if (this.source !== PositionSource.None && !this.committed) this.commit();
  }

  private gsa(talker: number): void {
    const f = this.f;
    let services = 0;
    const systemId = f.count > 18 ? f.uint(18) : -1;
    const bySystem = systemId > 0 && systemId < SERVICE_BY_SYSTEM_ID.length ? SERVICE_BY_SYSTEM_ID[systemId] : -1;
    for (let i = 3; i <= 14 && i < f.count; i++) {
      if (f.empty(i)) continue;
      if (bySystem >= 0) services |= bySystem;
      else if (talker !== 0) services |= talker;
      else services |= prnService(f.uint(i));
    }
    this.usedServices |= services;
    const mode = f.uint(2);
    this.gsaFixMode = mode >= 1 && mode <= 3 ? mode : GnssStatus.FIX_MODE_UNKNOWN;
    this.gsaPdop = this.float32(f.decimal(15));
    this.gsaHdop = this.float32(f.decimal(16));
    this.gsaVdop = this.float32(f.decimal(17));
    this.gsaSeq = this.epochSeq;
  }

  private gsv(talker: number): void {
    const groups = this.gsvGroups;
    const done = groups.push(this.f, talker);
    this.counters.incompleteSatelliteGroups = groups.incomplete;
    if (!done) return;
    this.counters.satelliteGroups++;
    this.sink.satellites?.(groups.view);
  }

  private zda(): void {
    const f = this.f;
    const tod = f.timeOfDay(1);
    const day = f.uint(2);
    const month = f.uint(3);
    const year = f.uint(4);
    this.observeTime(tod);
    if (tod < 0 || day < 0 || month < 0 || year < 0) return;
    const days = civilToDays(year, month, day, f);
    if (days < 0) return;
    this.century = year - (year % 100);
    this.dateDays = days;
    this.dateTod = tod;
  }

  private rmc(t: Time, talker: number): void {
    const f = this.f;
    const tod = f.timeOfDay(1);
    this.observeTime(tod);
    this.rmcSeq = this.epochSeq;
    const days = f.ddmmyy(9, this.century);
    if (days >= 0 && tod >= 0) {
      this.dateDays = days;
      this.dateTod = tod;
    }
    const status = f.char(2);
    const mode = f.char(12);
    if ((status !== 0x41 /* A */ && status !== 0x44 /* D */) || mode === 0x4e /* N */) {
      this.counters.emptyVelocity++;
      return;
    }
    this.usedServices |= talker;
    this.velocity(t, tod, f.decimal(7) * KNOTS_TO_MPS, f.decimal(8));
  }

  private vtg(t: Time): void {
    if (this.epochSeq - this.rmcSeq <= 1) return; // RMC reports this epoch's velocity
    const f = this.f;
    if (f.char(9) === 0x4e /* N */) {
      this.counters.emptyVelocity++;
      return;
    }
    let v = f.decimal(5) * KNOTS_TO_MPS;
    if (v !== v) v = f.decimal(7) / 3.6;
    this.velocity(t, this.epochTod, v, f.decimal(1));
  }

  private velocity(t: Time, tod: number, v: number, courseDeg: number): void {
    if (!(v >= 0)) {
      this.counters.emptyVelocity++;
      return;
    }
    if (v > SPEED_OF_LIGHT) {
      // No measurement (and v² / 2 in the covariance would not be a number).
      this.f.malformed = true;
      this.counters.emptyVelocity++;
      return;
    }
    const stamp = this.stamp(t, tod);
    if (stamp === null) return;
    let x = 0;
    let y = 0;
    let variance = this.velocityVariance;
    if (courseDeg === courseDeg) {
      const c = courseDeg * DEG;
      x = v * Math.sin(c);
      y = v * Math.cos(c);
    } else {
      variance += (v * v) / 2;
    }
    const u = this.unknownVariance;
    const covariance = new Array<number>(36).fill(0);
    covariance[0] = variance;
    covariance[7] = variance;
    covariance[14] = u;
    covariance[21] = u;
    covariance[28] = u;
    covariance[35] = u;
    this.counters.velocities++;
    this.sink.velocity({
      header: { stamp, frame_id: this.frameId },
      twist: { twist: { linear: { x, y, z: 0 }, angular: { x: 0, y: 0, z: 0 } }, covariance },
    });
  }

  private heading(t: Time, modeField: number): void {
    const f = this.f;
    const h = f.decimal(1);
    if (h !== h || (modeField > 0 && (f.char(modeField) === 0x56 /* V */ || f.empty(modeField)))) {
      this.counters.emptyHeading++;
      return;
    }
    if (!(h >= 0 && h <= 360)) {
      f.malformed = true;
      this.counters.emptyHeading++;
      return;
    }
    const stamp = this.stamp(t, this.epochTod);
    if (stamp === null) return;
    let yaw = Math.PI / 2 - h * DEG;
    if (yaw <= -Math.PI) yaw += 2 * Math.PI;
    this.counters.headings++;
    this.sink.heading({
      header: { stamp, frame_id: this.frameId },
      quaternion: { x: 0, y: 0, z: Math.sin(yaw / 2), w: Math.cos(yaw / 2) },
    });
  }

  // ---- output ----

  private commit(): void {
    this.committed = true;
    const gnss = this.gnssTime(this.pTod);
    const gnssValid = gnss === GnssTime.Valid;
    if (gnss === GnssTime.BeyondRosTime) this.counters.gnssTimeBeyondInt32++;
    let stamp: Time;
    if (this.gnssStamps && gnss !== GnssTime.BeyondRosTime) {
      if (!gnssValid) {
        this.counters.noGnssTime++;
        return;
      }
      stamp = { sec: this.tSec, nanosec: this.tNs };
    } else {
      stamp = { sec: this.pRecvSec, nanosec: this.pRecvNs };
    }
    const q = this.pQuality;
    const gsaFresh = this.gsaSeq >= this.epochSeq - 1;
    if (this.pHasPosition) {
      this.counters.fixes++;
      this.sink.fix(this.buildFix(stamp, gsaFresh));
    }
    this.counters.statuses++;
    this.sink.status({
      header: { stamp: { sec: stamp.sec, nanosec: stamp.nanosec }, frame_id: this.frameId },
      quality: q,
      quality_name: QUALITY_NAMES[q],
      fix_mode: gsaFresh ? this.gsaFixMode : GnssStatus.FIX_MODE_UNKNOWN,
      satellites_used: this.pSats,
      hdop: this.pHdop === this.pHdop ? this.pHdop : gsaFresh ? this.gsaHdop : NaN,
      vdop: gsaFresh ? this.gsaVdop : NaN,
      pdop: gsaFresh ? this.gsaPdop : NaN,
      age_of_corrections: this.pAge,
      station_id: this.pStation,
      gnss_time_valid: gnssValid,
      gnss_time: gnssValid ? { sec: this.tSec, nanosec: this.tNs } : { sec: 0, nanosec: 0 },
    });
  }

  private buildFix(stamp: Time, gsaFresh: boolean): NavSatFixMsg {
    const q = this.pQuality;
    let services = this.usedServices !== 0 ? this.usedServices : this.previousUsedServices;
    services |= this.pTalkerServices;
    const cov = [0, 0, 0, 0, 0, 0, 0, 0, 0];
    let type: number = NavSatFixCovariance.COVARIANCE_TYPE_UNKNOWN;
    if (q !== 0) {
      const uere = this.uere[q];
      const hdop = this.pHdop === this.pHdop ? this.pHdop : gsaFresh ? this.gsaHdop : NaN;
      const vdop = gsaFresh && this.gsaVdop === this.gsaVdop ? this.gsaVdop : 2 * hdop;
      const approxH = (hdop * uere) ** 2 / 2;
      const approxV = (vdop * uere) ** 2;
      if (this.gstSeen && this.gstLat === this.gstLat && this.gstLon === this.gstLon) {
        cov[0] = this.gstLon * this.gstLon;
        cov[4] = this.gstLat * this.gstLat;
        if (this.gstAlt === this.gstAlt) {
          cov[8] = this.gstAlt * this.gstAlt;
          type = NavSatFixCovariance.COVARIANCE_TYPE_DIAGONAL_KNOWN;
        } else {
          cov[8] = approxV === approxV ? approxV : this.unknownVariance;
          type = NavSatFixCovariance.COVARIANCE_TYPE_APPROXIMATED;
        }
      } else if (approxH === approxH) {
        cov[0] = approxH;
        cov[4] = approxH;
        cov[8] = approxV;
        type = NavSatFixCovariance.COVARIANCE_TYPE_APPROXIMATED;
      }
    }
    return {
      header: { stamp, frame_id: this.frameId },
      status: { status: STATUS_BY_QUALITY[q], service: services },
      latitude: this.pLat,
      longitude: this.pLon,
      altitude: this.pAlt,
      position_covariance: cov,
      position_covariance_type: type,
    };
  }

  /** Stamp of a velocity/heading message; null (counted) when a GNSS stamp cannot be made. */
  private stamp(t: Time, tod: number): Time | null {
    if (!this.gnssStamps) return { sec: t.sec, nanosec: t.nanosec };
    const gnss = this.gnssTime(tod);
    if (gnss === GnssTime.None) {
      this.counters.noGnssTime++;
      return null;
    }
    if (gnss === GnssTime.BeyondRosTime) {
      this.counters.gnssTimeBeyondInt32++;
      return { sec: t.sec, nanosec: t.nanosec };
    }
    return { sec: this.tSec, nanosec: this.tNs };
  }

  /** A GST standard deviation [m] of field i: NaN (not used, malformed) when negative or when its square is beyond a double. */
  private sigma(i: number): number {
    const v = this.f.decimal(i);
    if (v === v && !(v >= 0 && v * v < Infinity)) {
      this.f.malformed = true;
      return NaN;
    }
    return v;
  }

  /** A DOP or correction age as float32 can hold it: beyond its range → NaN (not reported), counted. */
  private float32(v: number): number {
    if (v > FLOAT32_MAX || v < -FLOAT32_MAX) {
      this.counters.valuesBeyondFloat32++;
      return NaN;
    }
    return v;
  }

  /** UTC of time of day `tod` with the known date into tSec/tNs, when there is a date and a time. */
  private gnssTime(tod: number): GnssTime {
    if (tod < 0 || this.dateDays < 0) return GnssTime.None;
    let days = this.dateDays;
    // The date was learnt at dateTod; a time of day far from it lies across midnight.
    if (tod < this.dateTod - HALF_DAY_NS) days++;
    else if (tod > this.dateTod + HALF_DAY_NS) days--;
    const secOfDay = Math.floor(tod / 1e9);
    this.tSec = days * 86400 + secOfDay;
    this.tNs = tod - secOfDay * 1e9;
    return this.tSec > INT32_MAX ? GnssTime.BeyondRosTime : GnssTime.Valid;
  }
}
