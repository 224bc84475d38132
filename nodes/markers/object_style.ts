// How an object looks: colour by class (vil/msg/DetectedObject CLASS_*), translucent when its
// track status says coasted, and a box size per class for sensors that give no dimensions (the
// ESR gives width only, camera objects often nothing).
import { DetectedObject } from '../runtime/msg_types.js';

export interface Rgb {
  r: number;
  g: number;
  b: number;
}

/** Colour per CLASS_* value; unknown values use CLASS_UNKNOWN's. */
export const CLASS_COLOURS: readonly Rgb[] = (() => {
  const c: Rgb[] = [];
  c[DetectedObject.CLASS_UNKNOWN] = { r: 0.75, g: 0.75, b: 0.75 };
  c[DetectedObject.CLASS_CAR] = { r: 0.2, g: 0.55, b: 1.0 };
  c[DetectedObject.CLASS_TRUCK] = { r: 0.6, g: 0.3, b: 0.95 };
  c[DetectedObject.CLASS_MOTORCYCLE] = { r: 1.0, g: 0.55, b: 0.1 };
  c[DetectedObject.CLASS_BICYCLE] = { r: 1.0, g: 0.9, b: 0.2 };
  c[DetectedObject.CLASS_PEDESTRIAN] = { r: 1.0, g: 0.2, b: 0.2 };
  c[DetectedObject.CLASS_ANIMAL] = { r: 0.65, g: 0.45, b: 0.2 };
  c[DetectedObject.CLASS_STATIC] = { r: 0.45, g: 0.45, b: 0.45 };
  c[DetectedObject.CLASS_OTHER] = { r: 0.2, g: 0.9, b: 0.85 };
  return c;
})();

export function classColour(classification: number): Rgb {
  return CLASS_COLOURS[classification] ?? CLASS_COLOURS[DetectedObject.CLASS_UNKNOWN];
}

/** Box [m] length (x), width (y), height (z) per class when the sensor gives none. */
export const CLASS_SIZES: readonly { x: number; y: number; z: number }[] = (() => {
  const s: { x: number; y: number; z: number }[] = [];
  s[DetectedObject.CLASS_UNKNOWN] = { x: 2.0, y: 1.5, z: 1.5 };
  s[DetectedObject.CLASS_CAR] = { x: 4.5, y: 1.8, z: 1.5 };
  s[DetectedObject.CLASS_TRUCK] = { x: 10.0, y: 2.5, z: 3.5 };
  s[DetectedObject.CLASS_MOTORCYCLE] = { x: 2.2, y: 0.8, z: 1.5 };
  s[DetectedObject.CLASS_BICYCLE] = { x: 1.8, y: 0.6, z: 1.7 };
  s[DetectedObject.CLASS_PEDESTRIAN] = { x: 0.6, y: 0.6, z: 1.8 };
  s[DetectedObject.CLASS_ANIMAL] = { x: 1.2, y: 0.5, z: 1.0 };
  s[DetectedObject.CLASS_STATIC] = { x: 1.0, y: 1.0, z: 1.0 };
  s[DetectedObject.CLASS_OTHER] = { x: 1.5, y: 1.5, z: 1.5 };
  return s;
})();

export function classSize(classification: number): { x: number; y: number; z: number } {
  return CLASS_SIZES[classification] ?? CLASS_SIZES[DetectedObject.CLASS_UNKNOWN];
}

/** A measured dimension when the sensor gave one (> 0, finite), else the class default. */
export function dimension(measured: number, fallback: number): number {
  return measured > 0 && Number.isFinite(measured) ? measured : fallback;
}
