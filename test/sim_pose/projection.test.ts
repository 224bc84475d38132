// sim_pose's projections judged by PROJ's own tools (Debian proj-bin): cs2cs for tmerc and UTM,
// cct's topocentric pipeline for a local ENU origin, `proj -V` for convergence and scale, and
// geod (direct geodesic problem) + cs2cs for the heading a vehicle has in the map grid.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { MapProjection, parseProjectionSpec, type ProjectionSpec } from '../../nodes/sim_pose/projection.js';
import { quatFromYaw, quatMultiply, quatRotate, quatYaw, wrapAngle } from '../../nodes/runtime/quaternion.js';

function run(cmd: string, args: string[], input: string): string[] {
  // cct ignores a last line without a newline.
  const r = spawnSync(cmd, args, { input: `${input}\n`, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim().split('\n');
}

/** cs2cs: WGS84 lon/lat → the projection's x y. */
function cs2cs(def: string, pts: [number, number][]): [number, number][] {
  const out = run('cs2cs', ['-f', '%.6f', '+proj=longlat', '+datum=WGS84', '+to', ...def.split(/\s+/)], pts.map(([lat, lon]) => `${lon} ${lat}`).join('\n'));
  return out.map((l) => l.trim().split(/\s+/).slice(0, 2).map(Number) as [number, number]);
}

/** proj -V: convergence [deg] and meridian scale at a point. */
function projV(def: string, lat: number, lon: number): { convergence: number; scale: number } {
  const text = run('proj', ['-V', ...def.split(/\s+/)], `${lon} ${lat}`).join('\n');
  const conv = /Convergence\s*:.*\[\s*(-?[\d.]+)\s*\]/.exec(text);
  const h = /Meridian scale \(h\)\s*:\s*([\d.]+)/.exec(text);
  if (!conv || !h) throw new Error(`unexpected proj -V output:\n${text}`);
  return { convergence: Number(conv[1]), scale: Number(h[1]) };
}

/** geod: the point `dist` metres from (lat, lon) along true azimuth `az` (deg from north, clockwise). */
function geodDirect(lat: number, lon: number, az: number, dist: number): [number, number] {
  const [l] = run('geod', ['+ellps=WGS84', '-f', '%.12f'], `${lat} ${lon} ${az} ${dist}`);
  const [la, lo] = l.trim().split(/\s+/).map(Number);
  return [la, lo];
}

function grid(lat0: number, lon0: number, dLat: number, dLon: number, n: number): [number, number][] {
  const pts: [number, number][] = [];
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) pts.push([lat0 - dLat + (2 * dLat * i) / (n - 1), lon0 - dLon + (2 * dLon * j) / (n - 1)]);
  return pts;
}

function spec(text: string, origin: number[] = []): ProjectionSpec {
  const s = parseProjectionSpec(text, origin);
  if ('error' in s) throw new Error(s.error);
  return s;
}

const TMERC_CARLA = '+proj=tmerc +lat_0=49 +lon_0=8 +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m +geoidgrids=egm96_15.gtx +vunits=m +no_defs';
const TMERC_GK = '+proj=tmerc +lat_0=0 +lon_0=9 +k=0.9996 +x_0=500000 +y_0=0 +ellps=WGS84 +units=m +no_defs';
const cases: { name: string; text: string; projDef: string; center: [number, number]; spread: [number, number] }[] = [
  { name: 'tmerc as in a CARLA OpenDRIVE geoReference', text: `<geoReference><![CDATA[${TMERC_CARLA}]]></geoReference>`, projDef: TMERC_CARLA.replace(/ \+geoidgrids=\S+/, ''), center: [49.0, 8.0], spread: [0.5, 1.5] },
  { name: 'tmerc with false easting and k0 (OpenDRIVE of a real test track)', text: TMERC_GK, projDef: TMERC_GK, center: [48.78, 9.18], spread: [0.3, 2.5] },
  { name: 'UTM 32N', text: 'utm 32N', projDef: '+proj=utm +zone=32 +datum=WGS84', center: [52.3, 10.5], spread: [0.4, 1.4] },
  { name: 'UTM 56S (southern hemisphere)', text: 'utm:56S', projDef: '+proj=utm +zone=56 +south +datum=WGS84', center: [-33.87, 151.2], spread: [0.3, 0.8] },
];

describe('map projections vs PROJ (cs2cs, proj -V, geod)', () => {
  for (const c of cases) {
    it(`${c.name}: positions on a grid agree with cs2cs to 1 mm`, () => {
      const p = new MapProjection(spec(c.text));
      const pts = grid(c.center[0], c.center[1], c.spread[0], c.spread[1], 5);
      const ref = cs2cs(c.projDef, pts);
      const out = { x: 0, y: 0, z: 0 };
      pts.forEach(([lat, lon], i) => {
        p.project(lat, lon, 123.4, out);
        expect(Math.abs(out.x - ref[i][0])).toBeLessThan(1e-3);
        expect(Math.abs(out.y - ref[i][1])).toBeLessThan(1e-3);
        expect(out.z).toBe(123.4);
      });
    });

    it(`${c.name}: convergence and scale agree with proj -V`, () => {
      const p = new MapProjection(spec(c.text));
      for (const [lat, lon] of grid(c.center[0], c.center[1], c.spread[0], c.spread[1], 3)) {
        const ref = projV(c.projDef, lat, lon);
        // PROJ reports the angle from true north to grid north; vil's γ is the opposite rotation.
        // proj -V prints 8 decimals; 1e-7° is 2 nrad.
        expect(Math.abs(-p.convergence(lat, lon) / (Math.PI / 180) - ref.convergence)).toBeLessThan(1e-7);
        expect(Math.abs(p.scale(lat, lon) - ref.scale)).toBeLessThan(2e-8);
      }
    });

    it(`${c.name}: a heading turned into map yaw points along the geodesic PROJ projects (geod + cs2cs)`, () => {
      const p = new MapProjection(spec(c.text));
      for (const [lat, lon] of grid(c.center[0], c.center[1], c.spread[0], c.spread[1], 3)) {
        for (const az of [0, 37, 90, 181, 300]) {
          const [lat2, lon2] = geodDirect(lat, lon, az, 20);
          const [a, b] = cs2cs(c.projDef, [
            [lat, lon],
            [lat2, lon2],
          ]);
          const gridYaw = Math.atan2(b[1] - a[1], b[0] - a[0]);
          const enuYaw = Math.PI / 2 - az * (Math.PI / 180);
          const mapYaw = enuYaw - p.convergence(lat, lon);
          // localToMap is the same turn, as a quaternion.
          expect(Math.abs(wrapAngle(quatYaw(quatMultiply(p.localToMap(lat, lon, 0, { x: 0, y: 0, z: 0, w: 1 }), quatFromYaw(enuYaw, { x: 0, y: 0, z: 0, w: 1 }), { x: 0, y: 0, z: 0, w: 1 })) - mapYaw))).toBeLessThan(1e-12);
          const diff = Math.atan2(Math.sin(mapYaw - gridYaw), Math.cos(mapYaw - gridYaw));
          expect(Math.abs(diff)).toBeLessThan(5e-7); // 20 m segment, cs2cs prints µm
        }
      }
    });
  }

  it('local ENU origin: positions agree with PROJ topocentric (cct) to 1 mm, heights included', () => {
    const origin = [48.7823, 9.1801, 251.3];
    const p = new MapProjection(spec('enu', origin));
    const pts = grid(origin[0], origin[1], 0.05, 0.08, 5);
    const heights = pts.map((_, i) => 200 + i * 7.5);
    const pipeline = ['+proj=pipeline', '+step', '+proj=cart', '+ellps=WGS84', '+step', '+proj=topocentric', '+ellps=WGS84', `+lat_0=${origin[0]}`, `+lon_0=${origin[1]}`, `+h_0=${origin[2]}`];
    const ref = run('cct', ['-d', '6', ...pipeline], pts.map(([lat, lon], i) => `${lon} ${lat} ${heights[i]}`).join('\n')).map((l) => l.trim().split(/\s+/).map(Number));
    const out = { x: 0, y: 0, z: 0 };
    pts.forEach(([lat, lon], i) => {
      p.project(lat, lon, heights[i], out);
      expect(Math.abs(out.x - ref[i][0])).toBeLessThan(1e-3);
      expect(Math.abs(out.y - ref[i][1])).toBeLessThan(1e-3);
      expect(Math.abs(out.z - ref[i][2])).toBeLessThan(1e-3);
    });
  });

  it('local ENU origin: a heading turned by localToMap points along the geodesic (geod + cct)', () => {
    const origin = [48.7823, 9.1801, 251.3];
    const p = new MapProjection(spec('enu', origin));
    const pipeline = ['+proj=pipeline', '+step', '+proj=cart', '+ellps=WGS84', '+step', '+proj=topocentric', '+ellps=WGS84', `+lat_0=${origin[0]}`, `+lon_0=${origin[1]}`, `+h_0=${origin[2]}`];
    for (const [lat, lon] of grid(origin[0], origin[1], 0.05, 0.08, 3)) {
      for (const az of [10, 135, 260]) {
        const [lat2, lon2] = geodDirect(lat, lon, az, 20);
        const [a, b] = run('cct', ['-d', '6', ...pipeline], `${lon} ${lat} 0\n${lon2} ${lat2} 0`).map((l) => l.trim().split(/\s+/).map(Number));
        const gridYaw = Math.atan2(b[1] - a[1], b[0] - a[0]);
        // The heading direction in the local ENU at the point, turned by localToMap into the origin's frame.
        const enuYaw = Math.PI / 2 - az * (Math.PI / 180);
        const d = quatRotate(p.localToMap(lat, lon, 0, { x: 0, y: 0, z: 0, w: 1 }), { x: Math.cos(enuYaw), y: Math.sin(enuYaw), z: 0 }, { x: 0, y: 0, z: 0 });
        const mapYaw = Math.atan2(d.y, d.x);
        expect(Math.abs(Math.atan2(Math.sin(mapYaw - gridYaw), Math.cos(mapYaw - gridYaw)))).toBeLessThan(1e-7); // cct prints µm over 20 m
      }
    }
  });

  it('refuses what is not a map projection, naming why', () => {
    expect(parseProjectionSpec('+proj=longlat +datum=WGS84', [])).toEqual({ error: expect.stringContaining('geographic') });
    expect(parseProjectionSpec('utm 61N', [])).toEqual({ error: expect.stringContaining('zone 61') });
    expect(parseProjectionSpec('enu', [48])).toEqual({ error: expect.stringContaining('enu_origin') });
    expect(parseProjectionSpec('+proj=nonsense +x_0=1', [])).toEqual({ error: expect.stringContaining('proj4 cannot use') });
    expect(parseProjectionSpec('mercator please', [])).toEqual({ error: expect.stringContaining('neither') });
  });
});
