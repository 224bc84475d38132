// Parameters of the NMEA decoder (rtk_serial merges them with its port/source parameters).
import { defineParams, type ParamValues } from '../runtime/params.js';
import { DEFAULT_UERE_M, type NmeaDecoderOptions } from './nmea_decoder.js';

const uere = (quality: number, name: string) =>
  ({
    type: 'double',
    default: DEFAULT_UERE_M[quality],
    min: 0,
    max: 1000,
    description: `user equivalent range error [m] for GGA quality ${quality} (${name}): covariance from HDOP/VDOP when no GST`,
    hint: 'metres, 1 sigma',
  }) as const;

export const rtkDecoderParams = defineParams({
  frame_id: { type: 'string', default: 'gnss', description: 'header.frame_id of every published message (the antenna / receiver frame)' },
  stamp_source: {
    type: 'string',
    default: 'receive',
    choices: ['receive', 'gnss'],
    description:
      'receive: ROS time the first byte of the sentence arrived; gnss: UTC of the epoch with the date from RMC/ZDA (messages before a date is known are dropped and counted)',
  },
  'uere.gps': uere(1, 'autonomous GPS/GNSS'),
  'uere.dgps': uere(2, 'DGPS'),
  'uere.pps': uere(3, 'PPS'),
  'uere.rtk_fixed': uere(4, 'RTK fixed'),
  'uere.rtk_float': uere(5, 'RTK float'),
  'uere.estimated': uere(6, 'dead reckoning'),
  'uere.sbas': uere(9, 'SBAS'),
  velocity_stddev: {
    type: 'double',
    default: 0.1,
    min: 0,
    max: 100,
    description: 'standard deviation of each horizontal velocity component [m/s] (NMEA reports no velocity accuracy)',
  },
  unknown_variance: {
    type: 'double',
    default: 1e6,
    min: 0,
    description: 'variance of components NMEA does not measure (vertical and angular velocity)',
  },
  gst_miss_limit: {
    type: 'integer',
    default: 3,
    min: 1,
    max: 1000,
    description: 'consecutive epochs without GST after which fixes stop waiting for GST (covariance from HDOP instead)',
  },
});

export type RtkDecoderParamValues = ParamValues<typeof rtkDecoderParams>;

export function decoderOptionsFromParams(p: RtkDecoderParamValues): NmeaDecoderOptions {
  const table = [...DEFAULT_UERE_M];
  table[1] = p['uere.gps'];
  table[2] = p['uere.dgps'];
  table[3] = p['uere.pps'];
  table[4] = p['uere.rtk_fixed'];
  table[5] = p['uere.rtk_float'];
  table[6] = p['uere.estimated'];
  table[9] = p['uere.sbas'];
  return {
    frameId: p.frame_id,
    stamp: p.stamp_source,
    uereByQuality: table,
    velocityStddev: p.velocity_stddev,
    unknownVariance: p.unknown_variance,
    gstMissLimit: p.gst_miss_limit,
  };
}
