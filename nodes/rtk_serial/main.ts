// rtk_serial: RTK receiver → ROS.
//
//   serial port ──chunks──▶ NmeaFramer ──sentence──▶ vil/rtk/raw (nmea_msgs/Sentence)
//        ▲                                 └────────▶ NmeaDecoder ──▶ vil/rtk/fix, velocity, heading, status
//        └── vil/rtk/rtcm (rtcm_msgs/Message) corrections written back to the receiver
//
// With source:=topic the same decoder runs from vil/rtk/raw (a recorded bag replays into decoded topics).
import { inputQos, OUTPUT_QOS, rawInputQos, rawOutputQos } from '../runtime/qos_profiles.js';
import type { RosNode, Time } from '../runtime/ros.js';
import type { NodeDefinition, RunningNode } from '../runtime/run.js';
import { defineParams } from '../runtime/params.js';
import { Diagnostics, DiagnosticLevel, RateCounter } from '../runtime/diagnostics.js';
import { ThrottledLog } from '../runtime/logger.js';
import type { NmeaSentenceMsg, NavSatFixMsg, TwistWithCovarianceStampedMsg, QuaternionStampedMsg, GnssStatusMsg, RtcmMessageMsg } from '../runtime/msg_types.js';
import { NmeaFramer } from './nmea_framer.js';
import { NmeaDecoder } from './nmea_decoder.js';
import { rtkDecoderParams, decoderOptionsFromParams } from './params.js';
import { SerialLink } from './serial_link.js';

export const rtkSerialParams = defineParams({
  source: { type: 'string', default: 'serial', choices: ['serial', 'topic'], description: 'serial: read the receiver; topic: decode nmea_msgs/Sentence from vil/rtk/raw (bag replay)' },
  port: { type: 'string', default: '/dev/ttyACM0', description: 'serial device of the receiver; prefer a stable /dev/serial/by-id/... path' },
  baud: { type: 'integer', default: 115200, min: 50, max: 4_000_000, description: 'baud rate of the receiver port (ignored by USB CDC-ACM receivers)' },
  reconnect_max_ms: { type: 'integer', default: 2000, min: 100, max: 2000, description: 'longest wait between reopen attempts of a vanished port [ms]' },
  max_sentence_length: { type: 'integer', default: 256, min: 82, max: 4096, description: 'longer lines are dropped as garbage (NMEA says 82; some receivers send more)' },
  rtcm_topic: { type: 'string', default: 'vil/rtk/rtcm', description: 'rtcm_msgs/msg/Message corrections (e.g. from an NTRIP client) written to the receiver; empty disables' },
  ...rtkDecoderParams,
});

export const rtkSerialNode: NodeDefinition = {
  name: 'rtk_serial',
  description: 'RTK receiver on a serial port → raw NMEA, NavSatFix, velocity, heading, status',
  start: startRtkSerial,
};

async function startRtkSerial(node: RosNode): Promise<RunningNode> {
  const p = node.declareParameters(rtkSerialParams);
  const log = node.logger;
  const throttled = new ThrottledLog(log);

  // Reliable keep-last (qos_profiles.ts): a default subscriber and a sensor-data one both match.
  const fixPub = node.createPublisher<NavSatFixMsg>('sensor_msgs/msg/NavSatFix', 'vil/rtk/fix', OUTPUT_QOS);
  const velPub = node.createPublisher<TwistWithCovarianceStampedMsg>('geometry_msgs/msg/TwistWithCovarianceStamped', 'vil/rtk/velocity', OUTPUT_QOS);
  const headingPub = node.createPublisher<QuaternionStampedMsg>('geometry_msgs/msg/QuaternionStamped', 'vil/rtk/heading', OUTPUT_QOS);
  const statusPub = node.createPublisher<GnssStatusMsg>('vil/msg/GnssStatus', 'vil/rtk/status', OUTPUT_QOS);

  let lastFixAt: Time | undefined;
  const sentenceRate = new RateCounter();
  const decoder = new NmeaDecoder(decoderOptionsFromParams(p), {
    fix: (m) => {
      lastFixAt = node.now();
      fixPub.publish(m);
    },
    velocity: (m) => velPub.publish(m),
    heading: (m) => headingPub.publish(m),
    status: (m) => statusPub.publish(m),
  });

  const decode = (sentence: string, stamp: Time): void => {
    sentenceRate.add();
    try {
      decoder.push(sentence, stamp);
    } catch (e) {
      // A decoder bug must not take the node down with it: count, log, carry on.
      throttled.error('decoder', `decoder failed on a sentence: ${(e as Error).message}`, { sentence });
    }
  };

  // Raw sentences are published only when read from the receiver (with source:=topic they are the input).
  const rawPub = p.source === 'serial' ? node.createPublisher<NmeaSentenceMsg>('nmea_msgs/msg/Sentence', 'vil/rtk/raw', rawOutputQos()) : undefined;
  // One reusable raw message: publish() serialises synchronously, so reuse is safe.
  const raw: NmeaSentenceMsg = { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: p.frame_id }, sentence: '' };
  const framer = new NmeaFramer(
    (sentence, firstByteTime) => {
      raw.header.stamp = firstByteTime;
      raw.sentence = sentence;
      rawPub?.publish(raw);
      decode(sentence, firstByteTime);
    },
    { maxLength: p.max_sentence_length },
  );

  let link: SerialLink | undefined;
  if (p.source === 'serial') {
    link = new SerialLink(
      { path: p.port, baudRate: p.baud, minRetryMs: 100, maxRetryMs: p.reconnect_max_ms, logger: log },
      {
        data: (chunk) => framer.push(chunk, node.now()),
        state: (state, detail) => {
          if (state === 'open') log.info({ port: p.port, baud: p.baud }, 'receiver port open');
          else if (state === 'waiting') throttled.warn('port', `receiver port ${p.port} not available: ${detail}`);
        },
      },
    );
    link.start();
  } else {
    node.createSubscription<NmeaSentenceMsg>('nmea_msgs/msg/Sentence', 'vil/rtk/raw', rawInputQos(), (m) => decode(m.sentence, m.header.stamp));
  }

  let rtcmBytes = 0;
  if (p.rtcm_topic !== '') {
    node.createSubscription<RtcmMessageMsg>('rtcm_msgs/msg/Message', p.rtcm_topic, inputQos(100), (m) => {
      if (link?.write(m.message)) rtcmBytes += m.message.length;
    });
  }

  const diagnostics = new Diagnostics(node);
  diagnostics.add('receiver', p.source === 'serial' ? p.port : 'vil/rtk/raw', () => {
    const now = node.now();
    const fixAge = lastFixAt ? now.sec - lastFixAt.sec + (now.nanosec - lastFixAt.nanosec) * 1e-9 : NaN;
    const portOk = p.source === 'topic' || link?.state === 'open';
    const c = framer.counters;
    return {
      level: !portOk ? DiagnosticLevel.ERROR : !(fixAge < 2) ? DiagnosticLevel.WARN : DiagnosticLevel.OK,
      message: !portOk ? (link?.lastError ? `port ${link.state}: ${link.lastError}` : `port ${link?.state ?? 'closed'}`) : !(fixAge < 2) ? 'no recent fix' : 'receiving',
      values: {
        port_state: link?.state ?? 'topic',
        sentences_per_s: sentenceRate.takeRate(),
        sentences: sentenceRate.total,
        bad_checksums: c.badChecksum,
        missing_checksums: c.missingChecksum,
        garbage_bytes: c.garbageBytes,
        overlong_lines: c.overlong,
        reconnects: link ? link.counters.opens - (link.counters.opens > 0 ? 1 : 0) : 0,
        failed_opens: link?.counters.failedOpens ?? 0,
        last_fix_age_s: Number.isNaN(fixAge) ? 'never' : fixAge,
        rtcm_bytes_written: rtcmBytes,
        rtcm_writes_dropped: link?.counters.writesDropped ?? 0,
        ...decoder.counters,
      },
    };
  });

  return {
    diagnostics: () => diagnostics.collect(),
    async stop() {
      await link?.stop();
      decoder.flush();
    },
  };
}
