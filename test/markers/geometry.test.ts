// Rotations against matrices built from elementary rotations; the covariance ellipse against a
// real receiver's own error ellipses (Septentrio PolaRx2 GST sentences); sensor-frame config.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { covarianceEllipse, offsetPose, quaternionFromRpy, quaternionFromYaw, rotate, yawOf } from '../../nodes/markers/geometry.js';
import { parseStaticFrames, staticTransforms } from '../../nodes/markers/static_frames.js';
import { ConfigError } from '../../nodes/runtime/errors.js';
import { FIXTURES, quaternionMatrix, rpyMatrix } from './helpers.js';

interface Gst {
  time: string;
  sigmaMajor: number;
  sigmaMinor: number;
  /** [deg] from true north, clockwise */
  orientation: number;
  sigmaLat: number;
  sigmaLon: number;
}

/** The GST sentences of the PolaRx2 capture (NMEA 0183 GST field order). */
function gstSentences(): Gst[] {
  return readFileSync(join(FIXTURES, 'polarx2.log'), 'latin1')
    .split('\n')
    .filter((l) => /^\$G.GST,/.test(l))
    .map((l) => {
      const f = l.slice(0, l.indexOf('*')).split(',');
      return { time: f[1], sigmaMajor: Number(f[3]), sigmaMinor: Number(f[4]), orientation: Number(f[5]), sigmaLat: Number(f[6]), sigmaLon: Number(f[7]) };
    });
}

/** ENU covariance of a GST ellipse: Σ = a² u uᵀ + b² v vᵀ, u the major axis (east = sin o, north = cos o). */
function covarianceOf(g: Gst): { ee: number; en: number; nn: number } {
  const o = (g.orientation * Math.PI) / 180;
  const u = [Math.sin(o), Math.cos(o)];
  const v = [-Math.cos(o), Math.sin(o)];
  const a2 = g.sigmaMajor ** 2;
  const b2 = g.sigmaMinor ** 2;
  return { ee: a2 * u[0] * u[0] + b2 * v[0] * v[0], en: a2 * u[0] * u[1] + b2 * v[0] * v[1], nn: a2 * u[1] * u[1] + b2 * v[1] * v[1] };
}

/** Angles equal modulo π (an ellipse axis has no direction). */
function axisAngleDiff(a: number, b: number): number {
  const d = (((a - b) % Math.PI) + Math.PI) % Math.PI;
  return Math.min(d, Math.PI - d);
}

describe('quaternions', () => {
  const cases = [
    [0, 0, 0],
    [0, 0, Math.PI / 2],
    [0.1, -0.2, 0.3],
    [Math.PI / 2, 0, 0],
    [-1.2, 0.7, 2.9],
    [0.02, 0.015, -3.1],
  ];
  it.each(cases)('setRPY(%f, %f, %f) is Rz(yaw)·Ry(pitch)·Rx(roll), as tf2 and static_transform_publisher', (roll, pitch, yaw) => {
    const q = quaternionFromRpy(roll, pitch, yaw);
    expect(Math.hypot(q.x, q.y, q.z, q.w)).toBeCloseTo(1, 12);
    const got = quaternionMatrix(q);
    const want = rpyMatrix(roll, pitch, yaw);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(got[i][j]).toBeCloseTo(want[i][j], 12);
    // rotate() agrees with the matrix.
    const v = { x: 0.3, y: -1.7, z: 2.2 };
    const r = rotate(q, v);
    expect(r.x).toBeCloseTo(want[0][0] * v.x + want[0][1] * v.y + want[0][2] * v.z, 12);
    expect(r.y).toBeCloseTo(want[1][0] * v.x + want[1][1] * v.y + want[1][2] * v.z, 12);
    expect(r.z).toBeCloseTo(want[2][0] * v.x + want[2][1] * v.y + want[2][2] * v.z, 12);
  });

  it('yaw round-trips and an offset in the body lands where the heading says', () => {
    for (const yaw of [-3, -1, 0, 0.5, 2.5]) expect(yawOf(quaternionFromYaw(yaw))).toBeCloseTo(yaw, 12);
    const pose = { position: { x: 10, y: 20, z: 0 }, orientation: quaternionFromYaw(Math.PI / 2) };
    const out = offsetPose(pose, { x: 1.4, y: 0, z: 0.75 }, { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } });
    // Heading north (+y): 1.4 m ahead is +y.
    expect(out.position.x).toBeCloseTo(10, 12);
    expect(out.position.y).toBeCloseTo(21.4, 12);
    expect(out.position.z).toBeCloseTo(0.75, 12);
    expect(out.orientation).toEqual(pose.orientation);
  });
});

describe('covariance ellipse from a real receiver (PolaRx2 GST)', () => {
  const gst = gstSentences();

  it('the capture has GST epochs, and the construction Σ from (σ major, σ minor, orientation) reproduces the receiver\'s own σ lat, σ lon', () => {
    expect(gst.length).toBe(5);
    for (const g of gst) {
      const c = covarianceOf(g);
      // The receiver prints three decimals: each printed value is off by up to 0.0005, and the
      // orientation's 0.0005° moves the axes' projections by up to σ major × 0.0005° in radians.
      const bound = 0.0005 + 0.0005 + 0.0005 + g.sigmaMajor * ((0.0005 * Math.PI) / 180);
      expect(Math.abs(Math.sqrt(c.nn) - g.sigmaLat)).toBeLessThan(bound);
      expect(Math.abs(Math.sqrt(c.ee) - g.sigmaLon)).toBeLessThan(bound);
    }
  });

  it.each(gstSentences())('recovers σ major, σ minor and the orientation of GST $time', (g) => {
    const c = covarianceOf(g);
    const e = covarianceEllipse(c.ee, c.en, c.nn)!;
    expect(e.sigmaMajor).toBeCloseTo(g.sigmaMajor, 9);
    expect(e.sigmaMinor).toBeCloseTo(g.sigmaMinor, 9);
    // GST: degrees from north, clockwise; the ellipse angle: from east (map x), counter-clockwise.
    const fromEast = Math.PI / 2 - (g.orientation * Math.PI) / 180;
    expect(axisAngleDiff(e.angle, fromEast)).toBeLessThan(1e-9);
  });

  it('a diagonal covariance (σ lat, σ lon only, as rtk_serial publishes from GST) gives axes along north and east', () => {
    const g = gst[0];
    const e = covarianceEllipse(g.sigmaLon ** 2, 0, g.sigmaLat ** 2)!;
    expect(e.sigmaMajor).toBeCloseTo(g.sigmaLat, 12);
    expect(e.sigmaMinor).toBeCloseTo(g.sigmaLon, 12);
    expect(axisAngleDiff(e.angle, Math.PI / 2)).toBeLessThan(1e-12);
    const round = covarianceEllipse(4, 0, 4)!;
    expect(round).toEqual({ sigmaMajor: 2, sigmaMinor: 2, angle: 0 });
  });

  it('refuses what is not a covariance', () => {
    expect(covarianceEllipse(Number.NaN, 0, 1)).toBeUndefined();
    expect(covarianceEllipse(-1, 0, 1)).toBeUndefined();
    expect(covarianceEllipse(1, 2, 1)).toBeUndefined(); // eigenvalues 3 and -1
    expect(covarianceEllipse(1, 1, 1)).toEqual({ sigmaMajor: Math.SQRT2, sigmaMinor: 0, angle: Math.PI / 4 }); // rank one: a line
  });
});

describe('static_frames parameter', () => {
  const ctx = { source: 'test.yaml', key: 'static_frames', reservedChildren: ['map', 'base_link'] };

  it('parses "child parent x y z roll pitch yaw" into transforms with tf2 rotations', () => {
    const frames = parseStaticFrames(['radar_esr base_link 3.7 0 0.45 0 0 0', '  gnss_antenna   base_link -0.5 0.1 1.6 0.01 -0.02 1.5708 ', 'camera_optical radar_esr 0 0 0.2 -1.5708 0 -1.5708'], ctx);
    expect(frames.map((f) => `${f.parent}>${f.child}`)).toEqual(['base_link>radar_esr', 'base_link>gnss_antenna', 'radar_esr>camera_optical']);
    const tfs = staticTransforms(frames, { sec: 7, nanosec: 5 });
    expect(tfs[0]).toEqual({
      header: { stamp: { sec: 7, nanosec: 5 }, frame_id: 'base_link' },
      child_frame_id: 'radar_esr',
      transform: { translation: { x: 3.7, y: 0, z: 0.45 }, rotation: { x: 0, y: 0, z: 0, w: 1 } },
    });
    const want = rpyMatrix(0.01, -0.02, 1.5708);
    const got = quaternionMatrix(tfs[1].transform.rotation);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(got[i][j]).toBeCloseTo(want[i][j], 12);
    expect(tfs[1].transform.translation).toEqual({ x: -0.5, y: 0.1, z: 1.6 });
    expect(parseStaticFrames([], ctx)).toEqual([]);
  });

  const bad: [string, string[], RegExp][] = [
    ['too few fields', ['radar_esr base_link 3.7 0 0.45'], /static_frames\[0\].*expected 8 fields, found 5.*Fix: write each entry as "child parent x y z roll pitch yaw"/],
    ['a word for a number', ['radar_esr base_link 3.7 zero 0.45 0 0 0'], /static_frames\[0\].*y "zero" is not a number/],
    ['degrees', ['ok base_link 0 0 0 0 0 0', 'radar_esr base_link 3.7 0 0.45 0 0 90'], /static_frames\[1\].*yaw 90 is beyond ±2π.*radians \(90° = 1\.5708\)/],
    ['a leading slash', ['/radar_esr base_link 3.7 0 0.45 0 0 0'], /child frame "\/radar_esr" starts with "\/".*without the slash: "radar_esr"/],
    ['the same frame twice', ['a base_link 1 0 0 0 0 0', 'a base_link 2 0 0 0 0 0'], /static_frames\[1\].*"a" is defined twice/],
    ['child = parent', ['a a 1 0 0 0 0 0'], /child and parent are both "a"/],
    ['base_link as a child', ['base_link map 0 0 0 0 0 0'], /"base_link" is published by the node itself/],
    ['a cycle', ['a b 0 0 0 0 0 0', 'b a 0 0 0 0 0 0'], /form a cycle/],
  ];
  it.each(bad)('refuses %s with a ConfigError naming the source, the entry and the fix', (_what, entries, message) => {
    let err: unknown;
    try {
      parseStaticFrames(entries, ctx);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^test\.yaml: static_frames/);
    expect((err as Error).message).toMatch(message);
  });
});
