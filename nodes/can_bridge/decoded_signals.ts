// vil/msg/DecodedSignals for one DBC message (pure): one reusable message per message and
// topic, whose `values` is a fixed view into the bus's database-wide Float64Array (the node
// decodes into it with decodeInto(data, values, codec.base)) and whose names never change.
// Per frame only the stamp and the labels of signals with a value table are touched.
import type { Time } from '../runtime/ros.js';
import type { MessageCodec } from '../dbc/codec.js';

/** vil/msg/DecodedSignals */
export interface DecodedSignalsMsg {
  header: { stamp: Time; frame_id: string };
  message_name: string;
  id: number;
  is_extended: boolean;
  signal_names: string[];
  values: Float64Array;
  labels: string[];
}

export class DecodedSignalsWriter {
  readonly message: DecodedSignalsMsg;
  /** Indices of the signals that have value-table labels. */
  private readonly labelled: Int32Array;

  constructor(
    readonly codec: MessageCodec,
    busValues: Float64Array,
    frameId: string,
  ) {
    const n = codec.signalNames.length;
    this.labelled = Int32Array.from(
      codec.message.signals.flatMap((s, i) => (s.choices && s.choices.length ? [i] : [])),
    );
    this.message = {
      header: { stamp: { sec: 0, nanosec: 0 }, frame_id: frameId },
      message_name: codec.name,
      id: codec.id,
      is_extended: codec.extended,
      signal_names: [...codec.signalNames],
      values: busValues.subarray(codec.base, codec.base + n),
      labels: new Array<string>(n).fill(''),
    };
  }

  /**
   * After decodeInto for this codec: the message for a frame with `id` received at `stamp`
   * (the frame's id: a J1939 message matches frames of any source address).
   */
  fill(stamp: Time, id: number): DecodedSignalsMsg {
    const m = this.message;
    m.header.stamp = stamp;
    m.id = id;
    const l = this.labelled;
    for (let k = 0; k < l.length; k++) {
      const i = l[k];
      m.labels[i] = this.codec.labelOf(i, m.values[i]) ?? '';
    }
    return m;
  }
}
