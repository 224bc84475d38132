// WGS84 → the simulator's map frame, using the map's own georeference: a PROJ string as an
// OpenDRIVE <geoReference> holds it (via proj4), a UTM zone, or a local ENU tangent plane at an
// origin (exact, through ECEF). Grid convergence and point scale are computed numerically from
// the projection itself, so any projection proj4 knows gets a correct heading. Pure: no I/O.
import proj4 from 'proj4';

/** WGS84 ellipsoid. */
const A = 6378137.0;
const F = 1 / 298.257223563;
const E2 = F * (2 - F);
const DEG = Math.PI / 180;

export type ProjectionSpec =
  | { kind: 'proj'; definition: string }
  | { kind: 'utm'; zone: number; south: boolean }
  | { kind: 'enu'; lat0: number; lon0: number; h0: number };

import type { Quat, Vec3 } from '../runtime/quaternion.js';
export type { Quat, Vec3 };

/** Parses the `map_projection` parameter: a PROJ string, "utm 32N" / "utm:33S", or "enu". */
export function parseProjectionSpec(text: string, enuOrigin: readonly number[]): ProjectionSpec | { error: string } {
  // OpenDRIVE wraps the string in CDATA; people paste it with the tags.
  const t = text
    .replace(/<!\[CDATA\[|\]\]>/g, '')
    .replace(/<\/?geoReference>/g, '')
    .trim();
  const utm = /^utm\s*[: ]?\s*(\d{1,2})\s*([NnSs])?$/.exec(t);
  if (utm) {
    const zone = Number(utm[1]);
    if (zone < 1 || zone > 60) return { error: `UTM zone ${zone} does not exist (1..60)` };
    return { kind: 'utm', zone, south: (utm[2] ?? 'N').toUpperCase() === 'S' };
  }
  if (/^enu$/i.test(t)) {
    if (enuOrigin.length !== 3 || enuOrigin.some((v) => !Number.isFinite(v))) return { error: 'enu needs enu_origin: [latitude_deg, longitude_deg, ellipsoidal_height_m]' };
    const [lat0, lon0, h0] = enuOrigin;
    if (Math.abs(lat0) > 90 || Math.abs(lon0) > 180) return { error: `enu_origin ${lat0}, ${lon0} is not a latitude, longitude in degrees` };
    return { kind: 'enu', lat0, lon0, h0 };
  }
  if (/\+proj=/.test(t)) {
    if (/\+proj=(longlat|latlong|lonlat|latlon|geocent)\b/.test(t)) return { error: 'the PROJ string is geographic or geocentric, not a map projection' };
    try {
      proj4('WGS84', t);
    } catch (e) {
      // proj4 throws strings, not Errors.
      return { error: `proj4 cannot use "${t}": ${e instanceof Error ? e.message : String(e)}` };
    }
    return { kind: 'proj', definition: t };
  }
  return { error: `"${text}" is neither a PROJ string (+proj=...), "utm <zone><N|S>" nor "enu"` };
}

export class MapProjection {
  readonly spec: ProjectionSpec;
  private readonly converter?: proj4.Converter;
  // ENU origin in ECEF and its rotation.
  private readonly o = { x: 0, y: 0, z: 0, sinLat: 0, cosLat: 1, sinLon: 0, cosLon: 1 };
  private readonly tmp: Vec3 = { x: 0, y: 0, z: 0 };
  private readonly tmp2: Vec3 = { x: 0, y: 0, z: 0 };

  constructor(spec: ProjectionSpec) {
    this.spec = spec;
    if (spec.kind === 'proj') this.converter = proj4('WGS84', spec.definition);
    else if (spec.kind === 'utm') this.converter = proj4('WGS84', `+proj=utm +zone=${spec.zone}${spec.south ? ' +south' : ''} +datum=WGS84 +units=m +no_defs`);
    else {
      ecef(spec.lat0, spec.lon0, spec.h0, this.o);
      this.o.sinLat = Math.sin(spec.lat0 * DEG);
      this.o.cosLat = Math.cos(spec.lat0 * DEG);
      this.o.sinLon = Math.sin(spec.lon0 * DEG);
      this.o.cosLon = Math.cos(spec.lon0 * DEG);
    }
  }

  describe(): string {
    const s = this.spec;
    if (s.kind === 'proj') return s.definition;
    if (s.kind === 'utm') return `UTM zone ${s.zone}${s.south ? 'S' : 'N'} (WGS84)`;
    return `local ENU at ${s.lat0}, ${s.lon0}, ${s.h0} m`;
  }

  /**
   * Projects a WGS84 position (degrees, ellipsoidal metres). x, y: map metres; z: ENU up for a
   * local ENU frame, else `h` unchanged (map projections are 2-D).
   */
  project(latDeg: number, lonDeg: number, h: number, out: Vec3): Vec3 {
    if (this.converter) {
      const p = this.converter.forward([lonDeg, latDeg]);
      out.x = p[0];
      out.y = p[1];
      out.z = h;
      return out;
    }
    const o = this.o;
    const p = ecef(latDeg, lonDeg, h, this.tmp);
    const dx = p.x - o.x;
    const dy = p.y - o.y;
    const dz = p.z - o.z;
    out.x = -o.sinLon * dx + o.cosLon * dy;
    out.y = -o.sinLat * o.cosLon * dx - o.sinLat * o.sinLon * dy + o.cosLat * dz;
    out.z = o.cosLat * o.cosLon * dx + o.cosLat * o.sinLon * dy + o.sinLat * dz;
    return out;
  }

  /**
   * Grid convergence γ at a position [rad]: the angle from grid north to true north, positive
   * when true north points towards +x. A yaw measured from east in ENU becomes
   * map_yaw = enu_yaw − γ. Taken from the projection numerically (two points ±1e-6° apart on the
   * meridian), so it holds for any projection.
   */
  convergence(latDeg: number, lonDeg: number, h = 0): number {
    const d = 1e-6;
    const a = this.project(latDeg - d, lonDeg, h, this.tmp2);
    const ax = a.x;
    const ay = a.y;
    const b = this.project(latDeg + d, lonDeg, h, this.tmp2);
    return Math.atan2(b.x - ax, b.y - ay);
  }

  /**
   * The rotation taking vectors of the local ENU frame at a position (heading quaternions,
   * velocities, lever arms) into the map frame. For a map projection: a turn about z by −γ (the
   * projection is conformal and z is height). For a local ENU frame: the exact 3-D rotation
   * between the tangent plane at the position and the one at the origin (a vehicle 5 km from
   * the origin is tilted by 0.045° in the origin's frame).
   */
  localToMap(latDeg: number, lonDeg: number, h: number, out: Quat): Quat {
    if (this.spec.kind !== 'enu') {
      const half = -this.convergence(latDeg, lonDeg, h) / 2;
      out.x = 0;
      out.y = 0;
      out.z = Math.sin(half);
      out.w = Math.cos(half);
      return out;
    }
    // M = R0 · Rpᵀ, with R the ECEF→ENU rotation (rows e, n, u) at the origin and at the point.
    const o = this.o;
    const sp = Math.sin(latDeg * DEG);
    const cp = Math.cos(latDeg * DEG);
    const sl = Math.sin(lonDeg * DEG);
    const cl = Math.cos(lonDeg * DEG);
    const r0 = [
      [-o.sinLon, o.cosLon, 0],
      [-o.sinLat * o.cosLon, -o.sinLat * o.sinLon, o.cosLat],
      [o.cosLat * o.cosLon, o.cosLat * o.sinLon, o.sinLat],
    ];
    const rp = [
      [-sl, cl, 0],
      [-sp * cl, -sp * sl, cp],
      [cp * cl, cp * sl, sp],
    ];
    const m = [0, 1, 2].map((i) => [0, 1, 2].map((j) => r0[i][0] * rp[j][0] + r0[i][1] * rp[j][1] + r0[i][2] * rp[j][2]));
    return matrixToQuat(m, out);
  }

  /** Point scale factor along the meridian: map metres per metre on the ellipsoid (≈ 0.9996 in UTM). */
  scale(latDeg: number, lonDeg: number, h = 0): number {
    // A local ENU frame is Cartesian in metres: velocities and lever arms need no scaling.
    if (this.spec.kind === 'enu') return 1;
    const d = 1e-6;
    const a = this.project(latDeg - d, lonDeg, h, this.tmp2);
    const ax = a.x;
    const ay = a.y;
    const b = this.project(latDeg + d, lonDeg, h, this.tmp2);
    const s = Math.sin(latDeg * DEG);
    const rho = (A * (1 - E2)) / Math.pow(1 - E2 * s * s, 1.5);
    const arc = rho * 2 * d * DEG; // on the ellipsoid, where map projections work
    return Math.hypot(b.x - ax, b.y - ay) / arc;
  }
}

/** Geodetic (degrees, metres) → ECEF (metres), WGS84. */
export function ecef(latDeg: number, lonDeg: number, h: number, out: Vec3): Vec3 {
  const lat = latDeg * DEG;
  const lon = lonDeg * DEG;
  const s = Math.sin(lat);
  const c = Math.cos(lat);
  const n = A / Math.sqrt(1 - E2 * s * s);
  out.x = (n + h) * c * Math.cos(lon);
  out.y = (n + h) * c * Math.sin(lon);
  out.z = (n * (1 - E2) + h) * s;
  return out;
}

/** Rotation matrix (rows) → unit quaternion (Shepperd's method). */
export function matrixToQuat(m: number[][], out: Quat): Quat {
  const tr = m[0][0] + m[1][1] + m[2][2];
  if (tr > 0) {
    const s = Math.sqrt(tr + 1) * 2;
    out.w = 0.25 * s;
    out.x = (m[2][1] - m[1][2]) / s;
    out.y = (m[0][2] - m[2][0]) / s;
    out.z = (m[1][0] - m[0][1]) / s;
  } else if (m[0][0] > m[1][1] && m[0][0] > m[2][2]) {
    const s = Math.sqrt(1 + m[0][0] - m[1][1] - m[2][2]) * 2;
    out.w = (m[2][1] - m[1][2]) / s;
    out.x = 0.25 * s;
    out.y = (m[0][1] + m[1][0]) / s;
    out.z = (m[0][2] + m[2][0]) / s;
  } else if (m[1][1] > m[2][2]) {
    const s = Math.sqrt(1 + m[1][1] - m[0][0] - m[2][2]) * 2;
    out.w = (m[0][2] - m[2][0]) / s;
    out.x = (m[0][1] + m[1][0]) / s;
    out.y = 0.25 * s;
    out.z = (m[1][2] + m[2][1]) / s;
  } else {
    const s = Math.sqrt(1 + m[2][2] - m[0][0] - m[1][1]) * 2;
    out.w = (m[1][0] - m[0][1]) / s;
    out.x = (m[0][2] + m[2][0]) / s;
    out.y = (m[1][2] + m[2][1]) / s;
    out.z = 0.25 * s;
  }
  return out;
}
