// The demo's drive overview as one SVG (demo-out/drive.svg): the GNSS trail on map axes (metres in
// sim_pose's map projection, equal scale, grid, scale bar, north up), the ego vehicle and the
// radar's objects at a few moments, and speed over time. Pure: data in, SVG text out.
//
// The trail is drawn inside <g id="map-data"> whose transform maps metres to pixels, so the path's
// coordinates are the map coordinates themselves (two decimals): a reader can check them against
// the fixes. Its data-* attributes state the mapping and the drawn extent.

export interface MapPoint {
  x: number;
  y: number;
}

export interface Snapshot {
  /** Seconds since the drive's start. */
  t: number;
  /** The ego pose: vehicle reference point [m] and yaw [rad, counter-clockwise from east]. */
  ego: MapPoint & { yaw: number };
  /** The objects in the map frame [m]. */
  objects: { id: number; x: number; y: number }[];
}

export interface SpeedSeries {
  label: string;
  color: string;
  /** [seconds since the drive's start, m/s] */
  points: [number, number][];
}

export interface DriveSvgInput {
  title: string;
  /** Lines under the title: where the data come from. */
  sources: string[];
  /** The map projection's text (PROJ string), shown under the map. */
  projection: string;
  /** The GNSS antenna's positions in the map frame, in time order. */
  trail: MapPoint[];
  snapshots: Snapshot[];
  speeds: SpeedSeries[];
}

const W = 1200;
const H = 900;
const MAP = { left: 80, top: 120, size: 660 };
const PLOT = { left: 820, top: 160, width: 340, height: 260 };
const TRAIL_COLOR = '#1565c0';
const OBJECT_COLORS = ['#e65100', '#c62828', '#2e7d32', '#6a1b9a', '#00838f'];
const EGO_LENGTH = 4.5;
const EGO_WIDTH = 1.8;

const f2 = (v: number) => (Math.round(v * 100) / 100).toFixed(2);
const px = (v: number) => (Math.round(v * 10) / 10).toString();
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** A "nice" step (1, 2 or 5 × 10^n) for about `n` intervals over `span`. */
export function niceStep(span: number, n: number): number {
  const raw = span / Math.max(1, n);
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** The square map window [m] holding every point with a margin, and its metres → pixels mapping. */
export function mapWindow(points: readonly MapPoint[]): { x0: number; y0: number; span: number; scale: number } {
  let minX = Infinity;
  let maxX = -Infinity;
  let minY = Infinity;
  let maxY = -Infinity;
  for (const p of points) {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) continue;
    minX = Math.min(minX, p.x);
    maxX = Math.max(maxX, p.x);
    minY = Math.min(minY, p.y);
    maxY = Math.max(maxY, p.y);
  }
  if (!Number.isFinite(minX)) {
    minX = -10;
    maxX = 10;
    minY = -10;
    maxY = 10;
  }
  const span = Math.max(maxX - minX, maxY - minY, 40) * 1.2;
  const cx = (minX + maxX) / 2;
  const cy = (minY + maxY) / 2;
  return { x0: cx - span / 2, y0: cy - span / 2, span, scale: MAP.size / span };
}

export function driveSvg(d: DriveSvgInput): string {
  const out: string[] = [];
  // The window fits the drive (trail and ego poses); objects farther out are cut at the frame.
  const win = mapWindow([...d.trail, ...d.snapshots.map((s) => s.ego)]);
  // metres → pixels: x right, y up.
  const X = (x: number) => MAP.left + (x - win.x0) * win.scale;
  const Y = (y: number) => MAP.top + MAP.size - (y - win.y0) * win.scale;
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, sans-serif">`);
  out.push(`<defs><clipPath id="map-clip"><rect x="${MAP.left}" y="${MAP.top}" width="${MAP.size}" height="${MAP.size}"/></clipPath></defs>`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${MAP.left}" y="44" font-size="24" font-weight="bold" fill="#212121">${esc(d.title)}</text>`);
  d.sources.forEach((s, i) => out.push(`<text x="${MAP.left}" y="${70 + i * 18}" font-size="13" fill="#424242">${esc(s)}</text>`));

  // ---- map panel: frame, grid, axes
  const step = niceStep(win.span, 8);
  out.push(`<g id="map-grid" stroke="#e0e0e0" stroke-width="1">`);
  for (let g = Math.ceil(win.x0 / step) * step; g <= win.x0 + win.span; g += step) out.push(`<line x1="${px(X(g))}" y1="${MAP.top}" x2="${px(X(g))}" y2="${MAP.top + MAP.size}"/>`);
  for (let g = Math.ceil(win.y0 / step) * step; g <= win.y0 + win.span; g += step) out.push(`<line x1="${MAP.left}" y1="${px(Y(g))}" x2="${MAP.left + MAP.size}" y2="${px(Y(g))}"/>`);
  out.push('</g>');
  out.push(`<rect x="${MAP.left}" y="${MAP.top}" width="${MAP.size}" height="${MAP.size}" fill="none" stroke="#616161" stroke-width="1.5"/>`);
  out.push('<g font-size="12" fill="#424242">');
  for (let g = Math.ceil(win.x0 / step) * step; g <= win.x0 + win.span; g += step) out.push(`<text x="${px(X(g))}" y="${MAP.top + MAP.size + 18}" text-anchor="middle">${Math.round(g)}</text>`);
  for (let g = Math.ceil(win.y0 / step) * step; g <= win.y0 + win.span; g += step) out.push(`<text x="${MAP.left - 8}" y="${px(Y(g) + 4)}" text-anchor="end">${Math.round(g)}</text>`);
  out.push('</g>');
  out.push(`<text x="${MAP.left + MAP.size / 2}" y="${MAP.top + MAP.size + 40}" font-size="14" text-anchor="middle" fill="#212121">x east [m]</text>`);
  out.push(`<text transform="translate(${MAP.left - 52} ${MAP.top + MAP.size / 2}) rotate(-90)" font-size="14" text-anchor="middle" fill="#212121">y north [m]</text>`);
  out.push(`<text x="${MAP.left}" y="${MAP.top + MAP.size + 62}" font-size="11" fill="#757575">map projection (sim_pose): ${esc(d.projection)}</text>`);

  // Scale bar (bottom left inside the map) and north arrow (top right).
  const bar = niceStep(win.span, 5);
  const bx = MAP.left + 20;
  const by = MAP.top + MAP.size - 24;
  out.push(`<g id="scale-bar"><rect x="${bx - 6}" y="${by - 20}" width="${px(bar * win.scale + 12)}" height="32" fill="#ffffff" fill-opacity="0.85"/>`);
  out.push(`<line x1="${bx}" y1="${by}" x2="${px(bx + bar * win.scale)}" y2="${by}" stroke="#212121" stroke-width="3"/>`);
  out.push(`<line x1="${bx}" y1="${by - 5}" x2="${bx}" y2="${by + 5}" stroke="#212121" stroke-width="2"/><line x1="${px(bx + bar * win.scale)}" y1="${by - 5}" x2="${px(bx + bar * win.scale)}" y2="${by + 5}" stroke="#212121" stroke-width="2"/>`);
  out.push(`<text x="${px(bx + (bar * win.scale) / 2)}" y="${by - 8}" font-size="12" text-anchor="middle" fill="#212121">${bar} m</text></g>`);
  const nx = MAP.left + MAP.size - 30;
  const ny = MAP.top + 20;
  out.push(`<g id="north"><path d="M ${nx} ${ny} l -8 22 l 8 -6 l 8 6 z" fill="#212121"/><text x="${nx}" y="${ny + 38}" font-size="13" text-anchor="middle" fill="#212121">N</text></g>`);

  // ---- ego vehicle and radar objects at a few moments (under the trail)
  out.push('<g id="snapshots" clip-path="url(#map-clip)">');
  for (const s of d.snapshots) {
    const c = Math.cos(s.ego.yaw);
    const sn = Math.sin(s.ego.yaw);
    // Box from the reference point (rear axle) forward: corners in the vehicle frame.
    const corners = [
      [-0.9, -EGO_WIDTH / 2],
      [EGO_LENGTH - 0.9, -EGO_WIDTH / 2],
      [EGO_LENGTH - 0.9, EGO_WIDTH / 2],
      [-0.9, EGO_WIDTH / 2],
    ].map(([vx, vy]) => `${px(X(s.ego.x + c * vx - sn * vy))},${px(Y(s.ego.y + sn * vx + c * vy))}`);
    out.push(`<polygon points="${corners.join(' ')}" fill="#9e9e9e" fill-opacity="0.6" stroke="#212121" stroke-width="1.2"/>`);
    out.push(`<text x="${px(X(s.ego.x) + 8)}" y="${px(Y(s.ego.y) - 8)}" font-size="12" fill="#212121">${s.t.toFixed(0)} s</text>`);
    for (const o of s.objects) {
      const col = OBJECT_COLORS[(o.id - 1) % OBJECT_COLORS.length];
      out.push(`<line x1="${px(X(s.ego.x))}" y1="${px(Y(s.ego.y))}" x2="${px(X(o.x))}" y2="${px(Y(o.y))}" stroke="${col}" stroke-width="0.8" stroke-dasharray="3 3" opacity="0.7"/>`);
      out.push(`<rect x="${px(X(o.x) - 5)}" y="${px(Y(o.y) - 5)}" width="10" height="10" fill="${col}" stroke="#212121" stroke-width="0.8"/>`);
      out.push(`<text x="${px(X(o.x) + 7)}" y="${px(Y(o.y) + 4)}" font-size="11" fill="${col}">${o.id}</text>`);
    }
  }
  out.push('</g>');

  // ---- the trail, in metres inside the map's transform
  const scale = win.scale;
  const tx = MAP.left - win.x0 * scale;
  const ty = MAP.top + MAP.size + win.y0 * scale;
  const pts = d.trail.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const path = pts.map((p, i) => `${i ? 'L' : 'M'} ${f2(p.x)} ${f2(p.y)}`).join(' ');
  const ext = pts.length
    ? { minX: Math.min(...pts.map((p) => p.x)), maxX: Math.max(...pts.map((p) => p.x)), minY: Math.min(...pts.map((p) => p.y)), maxY: Math.max(...pts.map((p) => p.y)) }
    : { minX: 0, maxX: 0, minY: 0, maxY: 0 };
  out.push(
    `<g id="map-data" transform="matrix(${scale} 0 0 ${-scale} ${tx} ${ty})" data-scale-px-per-m="${scale}" data-extent-m="${f2(ext.minX)} ${f2(ext.minY)} ${f2(ext.maxX)} ${f2(ext.maxY)}">`,
  );
  if (pts.length) out.push(`<path id="trail" d="${path}" fill="none" stroke="${TRAIL_COLOR}" stroke-width="3" stroke-linejoin="round" stroke-linecap="round" vector-effect="non-scaling-stroke"/>`);
  out.push('</g>');
  if (pts.length) {
    const a = pts[0];
    const b = pts[pts.length - 1];
    out.push(`<circle cx="${px(X(a.x))}" cy="${px(Y(a.y))}" r="6" fill="#ffffff" stroke="${TRAIL_COLOR}" stroke-width="3"/><text x="${px(X(a.x) + 10)}" y="${px(Y(a.y) + 16)}" font-size="13" fill="#212121">start</text>`);
    out.push(`<circle cx="${px(X(b.x))}" cy="${px(Y(b.y))}" r="6" fill="${TRAIL_COLOR}"/><text x="${px(X(b.x) + 10)}" y="${px(Y(b.y) + 4)}" font-size="13" fill="#212121">end</text>`);
  }

  // ---- legend
  const lx = PLOT.left;
  let ly = PLOT.top + PLOT.height + 90;
  out.push(`<g id="legend" font-size="13" fill="#212121"><text x="${lx}" y="${ly}" font-weight="bold">Map</text>`);
  ly += 22;
  out.push(`<line x1="${lx}" y1="${ly - 4}" x2="${lx + 28}" y2="${ly - 4}" stroke="${TRAIL_COLOR}" stroke-width="3"/><text x="${lx + 36}" y="${ly}">GNSS trail (rtk_serial fixes, projected)</text>`);
  ly += 22;
  out.push(`<rect x="${lx + 4}" y="${ly - 12}" width="20" height="9" fill="#9e9e9e" fill-opacity="0.6" stroke="#212121"/><text x="${lx + 36}" y="${ly}">ego vehicle (sim_pose) at the time shown</text>`);
  ly += 22;
  const names = ['1 car ahead', '2 oncoming car', '3 pedestrian'];
  names.forEach((n, i) => {
    out.push(`<rect x="${lx + 9}" y="${ly - 11 + i * 20}" width="10" height="10" fill="${OBJECT_COLORS[i]}" stroke="#212121" stroke-width="0.8"/><text x="${lx + 36}" y="${ly + i * 20}">radar track ${n}</text>`);
  });
  ly += names.length * 20 + 4;
  out.push(`<text x="${lx}" y="${ly}" font-size="11" fill="#757575">radar tracks: generated scene (the drive has no radar)</text></g>`);

  // ---- speed over time
  out.push(speedPlot(d.speeds));
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function speedPlot(series: readonly SpeedSeries[]): string {
  const out: string[] = [];
  const all = series.flatMap((s) => s.points).filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v));
  const tMax = Math.max(1, ...all.map(([t]) => t));
  const vMax = Math.max(1, ...all.map(([, v]) => v)) * 1.1;
  const X = (t: number) => PLOT.left + (t / tMax) * PLOT.width;
  const Y = (v: number) => PLOT.top + PLOT.height - (v / vMax) * PLOT.height;
  out.push(`<g id="speed-plot"><text x="${PLOT.left}" y="${PLOT.top - 16}" font-size="16" font-weight="bold" fill="#212121">Speed over time</text>`);
  const tStep = niceStep(tMax, 6);
  const vStep = niceStep(vMax, 5);
  out.push('<g stroke="#e0e0e0" stroke-width="1">');
  for (let t = 0; t <= tMax + 1e-9; t += tStep) out.push(`<line x1="${px(X(t))}" y1="${PLOT.top}" x2="${px(X(t))}" y2="${PLOT.top + PLOT.height}"/>`);
  for (let v = 0; v <= vMax + 1e-9; v += vStep) out.push(`<line x1="${PLOT.left}" y1="${px(Y(v))}" x2="${PLOT.left + PLOT.width}" y2="${px(Y(v))}"/>`);
  out.push('</g>');
  out.push(`<rect x="${PLOT.left}" y="${PLOT.top}" width="${PLOT.width}" height="${PLOT.height}" fill="none" stroke="#616161" stroke-width="1.5"/>`);
  out.push('<g font-size="12" fill="#424242">');
  for (let t = 0; t <= tMax + 1e-9; t += tStep) out.push(`<text x="${px(X(t))}" y="${PLOT.top + PLOT.height + 18}" text-anchor="middle">${Math.round(t)}</text>`);
  for (let v = 0; v <= vMax + 1e-9; v += vStep) out.push(`<text x="${PLOT.left - 8}" y="${px(Y(v) + 4)}" text-anchor="end">${Number(v.toFixed(6))}</text>`);
  out.push('</g>');
  out.push(`<text x="${PLOT.left + PLOT.width / 2}" y="${PLOT.top + PLOT.height + 40}" font-size="14" text-anchor="middle" fill="#212121">time since the start [s]</text>`);
  out.push(`<text transform="translate(${PLOT.left - 40} ${PLOT.top + PLOT.height / 2}) rotate(-90)" font-size="14" text-anchor="middle" fill="#212121">speed [m/s]</text>`);
  series.forEach((s, i) => {
    const pts = s.points.filter(([t, v]) => Number.isFinite(t) && Number.isFinite(v));
    if (pts.length) out.push(`<polyline points="${pts.map(([t, v]) => `${px(X(t))},${px(Y(v))}`).join(' ')}" fill="none" stroke="${s.color}" stroke-width="${i === 0 ? 3 : 1.5}" stroke-linejoin="round"${i === 0 ? '' : ' stroke-dasharray="6 3"'}/>`);
    out.push(`<line x1="${PLOT.left + 10}" y1="${PLOT.top + 16 + i * 18}" x2="${PLOT.left + 34}" y2="${PLOT.top + 16 + i * 18}" stroke="${s.color}" stroke-width="${i === 0 ? 3 : 1.5}"${i === 0 ? '' : ' stroke-dasharray="6 3"'}/><text x="${PLOT.left + 40}" y="${PLOT.top + 20 + i * 18}" font-size="12" fill="#212121">${esc(s.label)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}
