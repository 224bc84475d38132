// config/vil.rviz: valid YAML in rviz2's layout, only stock rviz2 classes (from rviz's own plugin
// description), and every topic it subscribes to is one the markers node publishes on the local
// graph, with the type that display reads and a QoS that connects.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createLocalContext, type LocalContext } from '../../nodes/runtime/local/context.js';
import { incompatiblePolicy } from '../../nodes/runtime/local/qos.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes, type StartedNodes } from '../../nodes/runtime/run.js';
import type { QosSettings } from '../../nodes/runtime/ros.js';
import { markersNode, TF_QOS, TF_STATIC_QOS } from '../../nodes/markers/main.js';
import { FIXTURES } from './helpers.js';

const here = dirname(fileURLToPath(import.meta.url));
const RVIZ = join(here, '../../config/vil.rviz');

interface StockClass {
  name: string;
  base: string;
  messageTypes: string[];
}

function stockClasses(): StockClass[] {
  return readFileSync(join(FIXTURES, 'rviz_default_plugins_classes.tsv'), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => {
      const [name, base, types] = l.split('\t');
      return { name, base, messageTypes: types === '-' ? [] : types.split(',') };
    });
}

type Node = Record<string, unknown>;
const config = parseYaml(readFileSync(RVIZ, 'utf8')) as Node;
const vm = config['Visualization Manager'] as Node;
const displays = vm.Displays as Node[];
const stock = stockClasses();
const isStock = (name: unknown, base: string) => stock.some((c) => c.name === name && c.base === base);

/** A display's subscription as rviz2 stores it: Topic {Value, Depth, ... Policy}. */
function topicOf(d: Node): { name: string; qos: QosSettings } | undefined {
  const t = d.Topic as Node | string | undefined;
  if (t === undefined) return undefined;
  if (typeof t === 'string') return { name: t, qos: { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 5 } };
  return {
    name: t.Value as string,
    qos: {
      reliability: t['Reliability Policy'] === 'Best Effort' ? 'best_effort' : 'reliable',
      durability: t['Durability Policy'] === 'Transient Local' ? 'transient_local' : 'volatile',
      history: t['History Policy'] === 'Keep All' ? 'keep_all' : 'keep_last',
      depth: Number(t.Depth ?? 5),
    },
  };
}

let ctx: LocalContext | undefined;
let started: StartedNodes | undefined;
afterEach(async () => {
  await started?.stop();
  await ctx?.shutdown();
  ctx = undefined;
  started = undefined;
});

describe('config/vil.rviz', () => {
  it('is YAML in rviz2\'s layout: fixed frame map, a MarkerArray display, a TF display, the TF frame transformer', () => {
    expect(config.Panels).toBeInstanceOf(Array);
    expect((vm['Global Options'] as Node)['Fixed Frame']).toBe('map');
    expect(displays.map((d) => d.Class)).toEqual(['rviz_default_plugins/Grid', 'rviz_default_plugins/TF', 'rviz_default_plugins/MarkerArray']);
    for (const d of displays) expect(d.Enabled).toBe(true);
    expect(((vm.Transformation as Node).Current as Node).Class).toBe('rviz_default_plugins/TF');
    const view = (vm.Views as Node).Current as Node;
    expect(view.Class).toBe('rviz_default_plugins/Orbit');
    expect(view['Target Frame']).toBe('base_link');
  });

  it('names only classes stock rviz2 ships (rviz_default_plugins, rviz_common panels)', () => {
    for (const p of config.Panels as Node[]) expect(isStock(p.Class, 'rviz_common::Panel'), String(p.Class)).toBe(true);
    for (const d of displays) expect(isStock(d.Class, 'rviz_common::Display'), String(d.Class)).toBe(true);
    for (const t of vm.Tools as Node[]) expect(isStock(t.Class, 'rviz_common::Tool'), String(t.Class)).toBe(true);
    expect(isStock(((vm.Views as Node).Current as Node).Class, 'rviz_common::ViewController')).toBe(true);
    expect(isStock(((vm.Transformation as Node).Current as Node).Class, 'rviz_common::transformation::FrameTransformer')).toBe(true);
  });

  it('stock rviz2 has no sensor_msgs/NavSatFix display, so the config has none (the fix is drawn as markers)', () => {
    const displayTypes = stock.filter((c) => c.base === 'rviz_common::Display').flatMap((c) => c.messageTypes);
    expect(displayTypes).toContain('visualization_msgs/msg/MarkerArray');
    expect(displayTypes).not.toContain('sensor_msgs/msg/NavSatFix');
  });

  it('every topic it subscribes to is published by the markers node, with the display\'s type and a QoS that connects', async () => {
    ctx = createLocalContext(parseRosArgs(['--ros-args', '--log-level', 'error', '-p', 'static_frames:=["radar_esr base_link 3.7 0 0.45 0 0 0"]']));
    started = await startNodes(ctx, [markersNode]);
    const published = new Map(ctx.graph.stats().filter((s) => s.publishers > 0).map((s) => [s.topic, s.type]));
    const subscribed = displays.map((d) => ({ d, topic: topicOf(d) })).filter((x) => x.topic !== undefined);
    expect(subscribed.map((x) => x.topic!.name)).toEqual(['/vil/markers']);
    for (const { d, topic } of subscribed) {
      expect(published.get(topic!.name), `${topic!.name} is published`).toBeDefined();
      const cls = stock.find((c) => c.name === d.Class && c.base === 'rviz_common::Display')!;
      expect(cls.messageTypes).toContain(published.get(topic!.name));
      // The markers publisher offers the 'default' profile: reliable, volatile.
      expect(incompatiblePolicy({ reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 10 }, topic!.qos)).toBeUndefined();
    }
    // The TF display reads /tf and /tf_static (tf2's listener QoS); the node publishes both.
    expect(published.get('/tf')).toBe('tf2_msgs/msg/TFMessage');
    expect(published.get('/tf_static')).toBe('tf2_msgs/msg/TFMessage');
    const listenerTf: QosSettings = { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 100 };
    const listenerStatic: QosSettings = { reliability: 'reliable', durability: 'transient_local', history: 'keep_last', depth: 100 };
    expect(incompatiblePolicy(TF_QOS, listenerTf)).toBeUndefined();
    expect(incompatiblePolicy(TF_STATIC_QOS, listenerStatic)).toBeUndefined();
  });
});
