// config/foxglove/vil-demo.layout.json, checked as far as it can be without the Foxglove app:
//  1. its structure against the layout format the apps import (Lichtblick's LayoutData: configById,
//     a react-mosaic tree of panel ids, globalVariables, userNodes, playbackConfig; the same shape as
//     the layouts Foxglove's own SDK examples ship for "Import from file");
//  2. every panel's config against that panel's persisted config type in Lichtblick's source
//     (transcribed below, strict: a misspelt key fails);
//  3. every topic and message path it names against what vil's real nodes create on the local
//     graph with the demo's parameters, and the registry's field definitions.
// Sources read (github.com/Lichtblick-Suite/lichtblick at 9554e1e4, MPL-2.0):
//   context/CurrentLayoutContext/actions.ts (LayoutData), util/layout.ts (panel id "Type!id",
//   PANEL_TITLE_CONFIG_KEY), panels/index.ts (panel types), panels/Map/config.ts + MapPanel.tsx,
//   panels/ThreeDeeRender/IRenderer.ts (RendererConfig) + camera.ts + renderables/Grids.ts,
//   panels/Plot/utils/config.ts (PlotConfig, PlotPath), util/time.ts (TimestampMethod),
//   panels/RawMessages/types.ts, panels/Table/index.tsx, panels/diagnostics/util.ts.
import { afterAll, describe, expect, it } from 'vitest';
import { setupAll } from '../helpers/setup.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { createLocalContext, type LocalContext } from '../../nodes/runtime/local/context.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes, type StartedNodes } from '../../nodes/runtime/run.js';
import { rtkSerialNode } from '../../nodes/rtk_serial/main.js';
import { canBridgeNode } from '../../nodes/can_bridge/main.js';
import { markersNode } from '../../nodes/markers/main.js';
import { simPoseNode } from '../../nodes/sim_pose/main.js';
import { ROOT } from './helpers.js';

const FILE = join(ROOT, 'config/foxglove/vil-demo.layout.json');

// ---- panel config types (Lichtblick), strict
const vec3 = z.tuple([z.number(), z.number(), z.number()]);
const title = { foxglovePanelTitle: z.string().optional() };
const mapConfig = z.strictObject({
  center: z.strictObject({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }).optional(),
  customTileUrl: z.string(),
  disabledTopics: z.array(z.string()),
  followTopic: z.string(),
  layer: z.enum(['map', 'satellite', 'custom']),
  topicColors: z.record(z.string(), z.string().regex(/^#[0-9a-f]{6}$/i)),
  zoomLevel: z.number().optional(),
  maxNativeZoom: z.number().optional(),
  ...title,
});
const cameraState = z.strictObject({
  distance: z.number().positive(),
  perspective: z.boolean(),
  phi: z.number(),
  target: vec3,
  targetOffset: vec3,
  targetOrientation: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  thetaOffset: z.number(),
  fovy: z.number(),
  near: z.number(),
  far: z.number(),
});
const baseSettings = { visible: z.boolean(), frameLocked: z.boolean().optional() };
const gridLayer = z.strictObject({
  ...baseSettings,
  instanceId: z.string(),
  layerId: z.literal('foxglove.Grid'),
  label: z.string(),
  frameId: z.string().optional(),
  size: z.number().positive(),
  divisions: z.number().int().positive().max(4096),
  lineWidth: z.number().optional(),
  color: z.string().optional(),
  position: vec3.optional(),
  rotation: vec3.optional(),
});
const threeDeeConfig = z.strictObject({
  cameraState,
  followTf: z.string().optional(),
  followMode: z.enum(['follow-pose', 'follow-position', 'follow-none']),
  scene: z.strictObject({
    enableStats: z.boolean().optional(),
    backgroundColor: z.string().optional(),
    labelScaleFactor: z.number().optional(),
    ignoreColladaUpAxis: z.boolean().optional(),
    syncCamera: z.boolean().optional(),
    topicsVisible: z.boolean().optional(),
    transforms: z.strictObject({ editable: z.boolean().optional(), showLabel: z.boolean().optional(), labelSize: z.number().optional(), axisScale: z.number().optional(), lineWidth: z.number().optional(), lineColor: z.string().optional(), enablePreloading: z.boolean().optional() }).optional(),
  }),
  publish: z.strictObject({
    type: z.enum(['pose', 'point', 'pose_estimate']),
    poseTopic: z.string(),
    pointTopic: z.string(),
    poseEstimateTopic: z.string(),
    poseEstimateXDeviation: z.number(),
    poseEstimateYDeviation: z.number(),
    poseEstimateThetaDeviation: z.number(),
  }),
  transforms: z.record(z.string(), z.strictObject({ ...baseSettings })),
  topics: z.record(z.string(), z.strictObject({ ...baseSettings, color: z.string().optional(), showOutlines: z.boolean().optional() })),
  layers: z.record(z.string(), gridLayer),
  imageMode: z.strictObject({}),
  ...title,
});
const plotPath = z.strictObject({
  value: z.string(),
  enabled: z.boolean(),
  timestampMethod: z.enum(['receiveTime', 'headerStamp']),
  color: z.string().optional(),
  label: z.string().optional(),
  showLine: z.boolean().optional(),
  lineSize: z.number().optional(),
});
const plotConfig = z.strictObject({
  paths: z.array(plotPath).min(1),
  minXValue: z.number().optional(),
  maxXValue: z.number().optional(),
  minYValue: z.union([z.string(), z.number()]).optional(),
  maxYValue: z.union([z.string(), z.number()]).optional(),
  showLegend: z.boolean(),
  legendDisplay: z.enum(['floating', 'top', 'left', 'none']),
  showPlotValuesInLegend: z.boolean(),
  showXAxisLabels: z.boolean(),
  showYAxisLabels: z.boolean(),
  isSynced: z.boolean(),
  xAxisVal: z.enum(['timestamp', 'index', 'custom', 'currentCustom']),
  followingViewWidth: z.number().optional(),
  sidebarDimension: z.number(),
  ...title,
});
const rawMessagesConfig = z.strictObject({
  diffEnabled: z.boolean(),
  diffMethod: z.enum(['custom', 'previous message']),
  diffTopicPath: z.string(),
  expansion: z.union([z.literal('all'), z.literal('none'), z.record(z.string(), z.enum(['c', 'e']))]).optional(),
  showFullMessageForDiff: z.boolean(),
  topicPath: z.string(),
  fontSize: z.number().optional(),
  ...title,
});
const tableConfig = z.strictObject({ topicPath: z.string(), ...title });
const diagnosticSummaryConfig = z.strictObject({ minLevel: z.number().int().min(0).max(3), pinnedIds: z.array(z.string()), topicToRender: z.string(), hardwareIdFilter: z.string(), sortByLevel: z.boolean().optional(), secondsUntilStale: z.number().optional(), ...title });
const diagnosticStatusConfig = z.strictObject({ selectedHardwareId: z.string().optional(), selectedName: z.string().optional(), splitFraction: z.number().min(0).max(1).optional(), topicToRender: z.string(), numericPrecision: z.number().optional(), secondsUntilStale: z.number().optional(), ...title });

/** Panel type (the part of a panel id before "!") → its config type. */
const PANELS: Record<string, z.ZodType> = {
  map: mapConfig,
  '3D': threeDeeConfig,
  Plot: plotConfig,
  RawMessages: rawMessagesConfig,
  Table: tableConfig,
  DiagnosticSummary: diagnosticSummaryConfig,
  DiagnosticStatusPanel: diagnosticStatusConfig,
};

type Mosaic = string | { direction: 'row' | 'column'; first: Mosaic; second: Mosaic; splitPercentage?: number };
const mosaic: z.ZodType<Mosaic> = z.lazy(() => z.union([z.string(), z.strictObject({ direction: z.enum(['row', 'column']), first: mosaic, second: mosaic, splitPercentage: z.number().min(0).max(100).optional() })]));
const layoutData = z.strictObject({
  configById: z.record(z.string().regex(/^[A-Za-z0-9]+![A-Za-z0-9-]+$/), z.record(z.string(), z.unknown())),
  layout: mosaic,
  globalVariables: z.record(z.string(), z.unknown()),
  userNodes: z.record(z.string(), z.strictObject({ name: z.string(), sourceCode: z.string() })),
  playbackConfig: z.strictObject({ speed: z.number().positive() }),
});

function leaves(m: Mosaic): string[] {
  return typeof m === 'string' ? [m] : [...leaves(m.first), ...leaves(m.second)];
}

const layout = JSON.parse(readFileSync(FILE, 'utf8')) as z.infer<typeof layoutData>;
const panelType = (id: string) => id.split('!')[0];

describe('the shipped Foxglove / Lichtblick layout', () => {
  it('has the structure the apps import: every panel in the mosaic has a config and every config a place', () => {
    const r = layoutData.safeParse(layout);
    expect(r.success, r.success ? '' : z.prettifyError(r.error)).toBe(true);
    const placed = leaves(layout.layout);
    expect(new Set(placed).size).toBe(placed.length);
    expect([...placed].sort()).toEqual(Object.keys(layout.configById).sort());
  });

  it('every panel is of a built-in type and its config matches that panel\'s config type', () => {
    for (const [id, config] of Object.entries(layout.configById)) {
      const schema = PANELS[panelType(id)];
      expect(schema, `panel ${id}: unknown type`).toBeDefined();
      const r = schema.safeParse(config);
      expect(r.success, r.success ? '' : `panel ${id}: ${z.prettifyError(r.error)}`).toBe(true);
    }
    // What the issue asks for: map with the GNSS trail, 3D with markers (and /tf), speed and yaw rate plots, raw CAN, diagnostics.
    const types = Object.keys(layout.configById).map(panelType);
    for (const t of ['map', '3D', 'Plot', 'Table', 'RawMessages', 'DiagnosticSummary']) expect(types).toContain(t);
  });

  describe('against the topics vil\'s nodes create with the demo parameters', () => {
    let ctx: LocalContext;
    let nodes: StartedNodes;
    let topicTypes: Map<string, string>;

    setupAll(async () => {
      // Sources that need no device: rtk_serial and can_bridge decode from their raw topics.
      ctx = createLocalContext(
        parseRosArgs(['--ros-args', '--log-level', 'error', '--params-file', join(ROOT, 'config/demo.params.yaml'), '-p', 'rtk_serial:source:=topic', '-p', 'can_bridge:source:=topic', '-p', `can_bridge:config_file:=${join(ROOT, 'config/demo/can_bridge.yaml')}`]),
      );
      nodes = await startNodes(ctx, [rtkSerialNode, canBridgeNode, simPoseNode, markersNode]);
      topicTypes = new Map(ctx.graph.stats().map((s) => [s.topic, s.type]));
    });
    afterAll(async () => {
      await nodes?.stop();
      await ctx?.shutdown();
    });

    /** "/topic.a.b[0].c" → the type of the last field; throws naming what does not resolve. */
    function resolvePath(path: string): string {
      const topic = [...topicTypes.keys()].filter((t) => path === t || path.startsWith(`${t}.`)).sort((a, b) => b.length - a.length)[0];
      if (!topic) throw new Error(`${path}: no such topic on the graph (topics: ${[...topicTypes.keys()].join(', ')})`);
      let type = topicTypes.get(topic)!;
      const rest = path.slice(topic.length);
      if (rest === '') return type;
      for (const part of rest.slice(1).split('.')) {
        const name = part.replace(/\[[^\]]*\]$/, '');
        const field = ctx.graph.registry.fields(type).find((f) => f.name === name);
        if (!field) throw new Error(`${path}: ${type} has no field "${name}"`);
        type = field.type;
      }
      return type;
    }

    it('every topic and message path resolves, to a type the panel shows', () => {
      const numeric = new Set(['float32', 'float64', 'int8', 'uint8', 'int16', 'uint16', 'int32', 'uint32', 'int64', 'uint64']);
      for (const [id, config] of Object.entries(layout.configById) as [string, Record<string, unknown>][]) {
        switch (panelType(id)) {
          case 'map':
            // Lichtblick's Map panel shows sensor_msgs/(msg/)NavSatFix, foxglove LocationFix and GeoJSON.
            expect(resolvePath(config.followTopic as string), id).toBe('sensor_msgs/msg/NavSatFix');
            break;
          case '3D':
            for (const t of Object.keys(config.topics as object)) expect(resolvePath(t), `${id} ${t}`).toBe('visualization_msgs/msg/MarkerArray');
            // The frame it follows is one the markers node broadcasts on /tf (map → base_link).
            expect(resolvePath('/tf'), id).toBe('tf2_msgs/msg/TFMessage');
            expect(config.followTf).toBe('base_link');
            break;
          case 'Plot':
            for (const p of config.paths as { value: string }[]) expect(numeric.has(resolvePath(p.value)), `${id}: ${p.value} is numeric`).toBe(true);
            break;
          case 'Table':
          case 'RawMessages':
            expect(resolvePath(config.topicPath as string), id).toBe('can_msgs/msg/Frame');
            break;
          case 'DiagnosticSummary':
          case 'DiagnosticStatusPanel':
            expect(resolvePath(config.topicToRender as string), id).toBe('diagnostic_msgs/msg/DiagnosticArray');
            break;
        }
      }
    });

    it('the paths name speed and yaw rate of the vehicle state, and the tables the raw CAN topic of the GNSS module\'s bus', () => {
      const paths = Object.entries(layout.configById).filter(([id]) => panelType(id) === 'Plot').flatMap(([, c]) => (c as { paths: { value: string }[] }).paths.map((p) => p.value));
      expect(paths).toContain('/vil/can/vehicle_state.speed');
      expect(paths).toContain('/vil/can/vehicle_state.yaw_rate');
      expect(() => resolvePath('/vil/can/vehicle_state.speeed')).toThrow(/has no field "speeed"/); // the resolver can fail
      const tables = Object.entries(layout.configById).filter(([id]) => ['Table', 'RawMessages'].includes(panelType(id))).map(([, c]) => (c as { topicPath: string }).topicPath);
      expect(tables).toEqual(['/vil/can/can2/raw', '/vil/can/can2/raw']);
    });
  });
});
