// Regression (issue 9, defect 4): NMEA values outside the ROS field types. Before the fix the
// whole message was lost (the local graph's CDR check refused it; on the wire rclnodejs would
// too) with one log line: satellites > 65,535 (GnssStatus.satellites_used is uint16), HDOP / PDOP /
// correction age beyond float32, and with stamp_source:=gnss every output from 2038-01-19 on
// (builtin_interfaces/Time.sec is int32). Now the field is rejected — 0 / NaN ("not reported", as
// GnssStatus.msg defines them), gnss_time_valid false and the receive stamp — counted on
// /diagnostics, and the rest of the message is published.
//
// Through the node on the local graph (every message CDR-checked against the real definitions),
// fed on its raw topic. Inputs: a real Hemisphere GGA (gpsd's test log) with fields replaced,
// checksum recomputed.
import { afterEach, describe, expect, it } from 'vitest';
import { createLocalContext, type LocalContext } from '../../nodes/runtime/local/context.js';
import { parseRosArgs } from '../../nodes/runtime/params.js';
import { startNodes, type StartedNodes } from '../../nodes/runtime/run.js';
import { rtkSerialNode } from '../../nodes/rtk_serial/main.js';
import type { GnssStatusMsg, NavSatFixMsg, NmeaSentenceMsg, TwistWithCovarianceStampedMsg } from '../../nodes/runtime/msg_types.js';
import type { DiagnosticArrayMsg } from '../../nodes/runtime/diagnostics.js';
import type { Time } from '../../nodes/runtime/ros.js';
import { waitFor } from '../helpers/pty.js';
import { fieldsOf, logSentences, withChecksum } from './nmea_helpers.js';

const GGA = logSentences('hemi').find((s) => s.startsWith('$GPGGA,194058.00'))!;
const edit = (sentence: string, changes: Record<number, string>): string => {
  const f = fieldsOf(sentence);
  for (const [i, v] of Object.entries(changes)) f[Number(i)] = v;
  return withChecksum(`$${f.join(',')}`);
};
const BEYOND_F32 = '1' + '0'.repeat(39); // 1e39 > 3.4e38

interface Rig {
  ctx: LocalContext;
  nodes: StartedNodes;
  fixes: NavSatFixMsg[];
  statuses: GnssStatusMsg[];
  velocities: TwistWithCovarianceStampedMsg[];
  diag(): Record<string, string> | undefined;
  feed(sentences: string[], stamp: Time): Promise<void>;
}

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.nodes.stop();
  await rig?.ctx.shutdown();
  rig = undefined;
});

async function start(params: string[]): Promise<Rig> {
  const ctx = createLocalContext(parseRosArgs(['--ros-args', '--log-level', 'fatal', '-p', 'rtk_serial:source:=topic', ...params.flatMap((p) => ['-p', p])]));
  const probe = ctx.createNode('probe');
  const r: Partial<Rig> = { ctx, fixes: [], statuses: [], velocities: [] };
  let diag: DiagnosticArrayMsg | undefined;
  probe.createSubscription<NavSatFixMsg>('sensor_msgs/msg/NavSatFix', '/vil/rtk/fix', 'sensor_data', (m) => r.fixes!.push(m));
  probe.createSubscription<GnssStatusMsg>('vil/msg/GnssStatus', '/vil/rtk/status', 'sensor_data', (m) => r.statuses!.push(m));
  probe.createSubscription<TwistWithCovarianceStampedMsg>('geometry_msgs/msg/TwistWithCovarianceStamped', '/vil/rtk/velocity', 'sensor_data', (m) => r.velocities!.push(m));
  probe.createSubscription<DiagnosticArrayMsg>('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', 'default', (m) => (diag = m));
  r.nodes = await startNodes(ctx, [rtkSerialNode]);
  const raw = probe.createPublisher<NmeaSentenceMsg>('nmea_msgs/msg/Sentence', '/vil/rtk/raw', 'sensor_data');
  r.diag = () => {
    const s = diag?.status.find((x) => x.name === 'rtk_serial: receiver');
    return s && Object.fromEntries(s.values.map((v) => [v.key, v.value]));
  };
  r.feed = async (sentences, stamp) => {
    for (const sentence of sentences) raw.publish({ header: { stamp, frame_id: 'gnss' }, sentence });
    await ctx.graph.idle();
  };
  return r as Rig;
}

describe('rtk_serial: values a ROS field cannot hold', () => {
  it('satellites > 65,535, HDOP / PDOP / correction age beyond float32: fields rejected and counted, fix and status published', async () => {
    rig = await start([]);
    const stamp = { sec: 1_700_000_000, nanosec: 0 };
    // GGA fields: 7 satellites, 8 HDOP, 13 age of corrections. GSA: 15 PDOP, 16 HDOP.
    const gga = edit(GGA, { 7: '70000', 8: BEYOND_F32, 13: '500000000000000000000000000000000000000' });
    const gsa = withChecksum(`$GPGSA,A,3,04,05,09,12,,,,,,,,,${BEYOND_F32},${BEYOND_F32},2.1`);
    await rig.feed([gga, gsa, edit(GGA, { 1: '194059.00' })], stamp);
    await waitFor(() => rig!.statuses.length >= 1, 'the first epoch\'s GnssStatus');
    const st = rig.statuses[0];
    expect(st.satellites_used).toBe(0);
    expect(st.hdop).toBeNaN();
    expect(st.age_of_corrections).toBeNaN();
    expect(rig.fixes.length).toBeGreaterThanOrEqual(1);
    // The position itself is untouched: the GGA's own latitude.
    const f = fieldsOf(GGA);
    const lat = Number(f[2].slice(0, 2)) + Number(f[2].slice(2)) / 60;
    expect(rig.fixes[0].latitude).toBeCloseTo(f[3] === 'S' ? -lat : lat, 12);
    // The rejected HDOPs (GGA's and GSA's) give no covariance; no GST either: UNKNOWN (0).
    expect(rig.fixes[0].position_covariance_type).toBe(0);
    await waitFor(() => Number(rig!.diag()?.valuesBeyondFloat32) >= 4, 'diagnostics to count the float32 values');
    expect(rig.diag()).toMatchObject({ satellitesBeyondUint16: '1', valuesBeyondFloat32: '4', gnssTimeBeyondInt32: '0' });
    // The next epoch's status carries the GSA's PDOP rejection (PDOP NaN) and a valid HDOP again.
    await waitFor(() => rig!.statuses.length >= 2, 'the second epoch\'s GnssStatus');
    expect(rig.statuses[1].pdop).toBeNaN();
    expect(rig.statuses[1].hdop).toBeCloseTo(Number(f[8]), 5);
  });

  it('stamp_source:=gnss after 2038: published with the receive stamp, gnss_time_valid false, counted', async () => {
    rig = await start(['rtk_serial:stamp_source:=gnss']);
    const received = { sec: 1_700_000_123, nanosec: 456_000_000 };
    // RMC 2050-01-01 (two-digit year 50 → 2050 in NMEA's 1980-2079 window), then that epoch's GGA.
    const rmc = withChecksum('$GPRMC,194058.00,A,3723.4659,N,12202.2699,W,5.0,90.0,010150,,,A');
    const gga = edit(GGA, {});
    // And a date int32 still holds, the epoch after: GNSS stamps as before.
    const rmc2 = withChecksum('$GPRMC,194059.00,A,3723.4659,N,12202.2699,W,5.0,90.0,010137,,,A');
    const gga2 = edit(GGA, { 1: '194059.00' });
    await rig.feed([rmc, gga, rmc2, gga2, edit(GGA, { 1: '194100.00' })], received);
    await waitFor(() => rig!.statuses.length >= 2 && rig!.fixes.length >= 2 && rig!.velocities.length >= 2, 'two epochs of fix, status and velocity');
    // 2050: the receive stamp, no GNSS time.
    expect(rig.fixes[0].header.stamp).toEqual(received);
    expect(rig.velocities[0].header.stamp).toEqual(received);
    expect(rig.statuses[0]).toMatchObject({ gnss_time_valid: false, gnss_time: { sec: 0, nanosec: 0 }, header: { stamp: received } });
    // 2037-01-01 19:40:59 UTC fits int32: the GNSS stamp.
    const t2037 = Date.UTC(2037, 0, 1, 19, 40, 59) / 1000;
    expect(rig.fixes[1].header.stamp).toEqual({ sec: t2037, nanosec: 0 });
    expect(rig.statuses[1]).toMatchObject({ gnss_time_valid: true, gnss_time: { sec: t2037, nanosec: 0 } });
    // Counted per message: the 2050 epoch's velocity, and its fix + status (one commit).
    await waitFor(() => Number(rig!.diag()?.gnssTimeBeyondInt32) >= 2, 'diagnostics to count the GNSS times beyond int32');
    expect(rig.diag()).toMatchObject({ gnssTimeBeyondInt32: '2', noGnssTime: '0' });
  });

  it('ZDA with a four-digit year beyond 2038 (receive stamps): status published, GNSS time rejected and counted', async () => {
    rig = await start([]);
    const received = { sec: 1_700_000_000, nanosec: 0 };
    const zda = withChecksum('$GPZDA,194058.00,01,01,2100,00,00');
    await rig.feed([zda, edit(GGA, {}), edit(GGA, { 1: '194059.00' })], received);
    await waitFor(() => rig!.statuses.length >= 1, 'a GnssStatus');
    expect(rig.statuses[0]).toMatchObject({ gnss_time_valid: false, header: { stamp: received } });
    expect(rig.fixes[0].header.stamp).toEqual(received);
    await waitFor(() => Number(rig!.diag()?.gnssTimeBeyondInt32) >= 1, 'diagnostics to count the GNSS time beyond int32');
  });
});
