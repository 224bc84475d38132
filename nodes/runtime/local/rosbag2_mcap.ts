// An MCAP file as ROS 2 Jazzy's rosbag2 (rosbag2_storage_mcap) writes one, so `ros2 bag info`,
// `ros2 bag play`, Foxglove and Lichtblick open it (facts from rosbag2's jazzy branch,
// rosbag2_storage_mcap/src/mcap_storage.cpp and rosbag2_storage's yaml.hpp / qos.cpp):
// - profile "ros2"; one schema per type, named "pkg/msg/Type", encoding "ros2msg", the .msg text
//   with its dependencies (MessageRegistry.schemaText, rosbag2's LocalMessageDefinitionSource);
// - one channel per topic, message encoding "cdr", metadata "offered_qos_profiles" (the publishers'
//   QoS as rosbag2_storage::serialize_rclcpp_qos_vector writes it, metadata version 9: policy
//   names as strings, durations {sec, nsec}) and "topic_type_hash" (RIHS01, REP-2011);
// - messages with sequence 0, log time = receive time, publish time = send time;
// - chunks compressed with zstd (what the storage preset `zstd_fast` writes; Jazzy's plain default
//   is uncompressed), indexed, with statistics and summary offsets;
// - at close, a metadata record "rosbag2" whose "serialized_metadata" is the bag's metadata YAML
//   (version 9) as MCAPStorage::update_metadata writes it; `ros2 bag info` of the single file
//   reads it (mcap_storage.cpp read_metadata).
// The MCAP records themselves are written by mcap_writer.ts; this module owns no file: it writes
// to a ByteSink (the recorder's file sink).
import { zstdCompressSync, constants as zlibConstants } from 'node:zlib';
import { basename } from 'node:path';
import { McapStreamWriter, type ByteSink } from './mcap_writer.js';
import { stringify as stringifyYaml } from 'yaml';
import type { QosSettings } from '../ros.js';
import type { MessageRegistry } from '../msg_registry.js';
import { typeHash } from '../type_hash.js';

export const ROS_DISTRO = 'jazzy';
/** Bag metadata version Jazzy writes (rosbag2_storage BagMetadata::version). */
const METADATA_VERSION = 9;
/** RMW_DURATION_INFINITE as ROS 2 endpoints report it (deadline, lifespan, liveliness lease). */
const INFINITE = { sec: 9223372036, nsec: 854775807 };

export interface Rosbag2WriterOptions {
  /** File name recorded in the bag metadata (relative_file_paths, files[].path). */
  fileName: string;
  /** Chunk compression: zstd (default) or none. */
  compression?: 'zstd' | 'none';
  /** Uncompressed bytes per chunk (mcap's default 768 KiB). */
  chunkSize?: number;
  /** zstd level; 1 = the fastest, as rosbag2's zstd_fast preset. */
  zstdLevel?: number;
  /** Library string in the MCAP header. */
  library?: string;
}

export interface BagTopic {
  /** Fully qualified topic name. */
  name: string;
  /** "pkg/msg/Type". */
  type: string;
  /** QoS of the publishers when the topic was first recorded. */
  offeredQos: readonly QosSettings[];
}

/** One offered QoS profile in rosbag2's metadata version 9 form. */
function qosProfile(q: QosSettings): Record<string, unknown> {
  return {
    history: q.history,
    depth: q.history === 'keep_last' ? q.depth : 0,
    reliability: q.reliability,
    durability: q.durability,
    deadline: INFINITE,
    lifespan: INFINITE,
    liveliness: 'automatic',
    liveliness_lease_duration: INFINITE,
    avoid_ros_namespace_conventions: false,
  };
}

/** The channel metadata string: a YAML sequence of profiles (rosbag2's serialize_rclcpp_qos_vector). */
export function offeredQosYaml(profiles: readonly QosSettings[]): string {
  return profiles.length === 0 ? '[]\n' : stringifyYaml(profiles.map(qosProfile));
}

interface TopicEntry {
  topic: BagTopic;
  channelId: number;
  hash: string;
}

export class Rosbag2McapWriter {
  private readonly writer: McapStreamWriter;
  private readonly schemaIds = new Map<string, number>();
  private readonly topics: TopicEntry[] = [];
  private readonly encoder = new TextEncoder();
  private readonly fileName: string;
  private readonly library: string;
  private ended = false;

  constructor(
    sink: ByteSink,
    private readonly registry: MessageRegistry,
    options: Rosbag2WriterOptions,
  ) {
    this.fileName = basename(options.fileName);
    this.library = options.library ?? 'vil';
    const level = options.zstdLevel ?? 1;
    this.writer = new McapStreamWriter(sink, {
      chunkSize: options.chunkSize ?? 768 * 1024,
      compression:
        (options.compression ?? 'zstd') === 'zstd'
          ? { name: 'zstd', compress: (data) => zstdCompressSync(data, { params: { [zlibConstants.ZSTD_c_compressionLevel]: level } }) }
          : undefined,
    });
  }

  async start(): Promise<void> {
    await this.writer.begin('ros2', this.library);
  }

  /** Registers a topic (its schema once per type) and returns its channel id. */
  addTopic(topic: BagTopic): number {
    let schemaId = this.schemaIds.get(topic.type);
    if (schemaId === undefined) {
      schemaId = this.writer.addSchema(topic.type, 'ros2msg', this.encoder.encode(this.registry.schemaText(topic.type)));
      this.schemaIds.set(topic.type, schemaId);
    }
    const hash = typeHash(this.registry, topic.type);
    const channelId = this.writer.addChannel(
      topic.name,
      schemaId,
      'cdr',
      new Map([
        ['offered_qos_profiles', offeredQosYaml(topic.offeredQos)],
        ['topic_type_hash', hash],
      ]),
    );
    this.topics.push({ topic, channelId, hash });
    return channelId;
  }

  /**
   * One CDR message, received (log time) and sent (publish time) at the same (sec, nanosec).
   * Returns a promise only when a finished chunk went to the sink and it asks to wait.
   */
  write(channelId: number, sec: number, nanosec: number, data: Uint8Array): Promise<void> | void {
    return this.writer.addMessage(channelId, 0, sec, nanosec, sec, nanosec, data);
  }

  /** Messages written so far. */
  get messageCount(): number {
    return this.writer.messages;
  }

  /** Log times of the first and last message written [ns], undefined before the first. */
  span(): { start: bigint; end: bigint } | undefined {
    const s = this.writer.start;
    if (s === undefined) return undefined;
    const ns = (t: [number, number]) => BigInt(t[0]) * 1_000_000_000n + BigInt(t[1]);
    return { start: ns(s), end: ns(this.writer.end) };
  }

  /** The bag metadata YAML (what `ros2 bag info` shows), from what was written. */
  serializedMetadata(): string {
    const span = this.span();
    const count = this.writer.messages;
    const start = span?.start ?? 0n;
    const duration = span ? span.end - span.start : 0n;
    const big = (v: bigint): number | bigint => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
    const doc = {
      version: METADATA_VERSION,
      storage_identifier: 'mcap',
      duration: { nanoseconds: big(duration) },
      starting_time: { nanoseconds_since_epoch: big(start) },
      message_count: count,
      topics_with_message_count: this.topics.map((t) => ({
        topic_metadata: {
          name: t.topic.name,
          type: t.topic.type,
          serialization_format: 'cdr',
          offered_qos_profiles: t.topic.offeredQos.map(qosProfile),
          type_description_hash: t.hash,
        },
        message_count: this.writer.countOf(t.channelId),
      })),
      compression_format: '',
      compression_mode: '',
      relative_file_paths: [this.fileName],
      files: [{ path: this.fileName, starting_time: { nanoseconds_since_epoch: big(start) }, duration: { nanoseconds: big(duration) }, message_count: count }],
      custom_data: {},
      ros_distro: ROS_DISTRO,
    };
    return stringifyYaml(doc);
  }

  /** Writes the rosbag2 metadata record, the summary and the footer. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.writer.addMetadata('rosbag2', new Map([['serialized_metadata', this.serializedMetadata()]]));
    await this.writer.finish();
  }
}
