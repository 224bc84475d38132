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
// The writer owns no file: it writes to an IWritable (the recorder's file sink).
import { zstdCompressSync, constants as zlibConstants } from 'node:zlib';
import { basename } from 'node:path';
import { McapWriter, type IWritable } from '@mcap/core';
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
  private readonly writer: McapWriter;
  private readonly schemaIds = new Map<string, number>();
  private readonly topics: TopicEntry[] = [];
  private readonly encoder = new TextEncoder();
  private readonly fileName: string;
  private readonly library: string;
  private ended = false;

  constructor(
    writable: IWritable,
    private readonly registry: MessageRegistry,
    options: Rosbag2WriterOptions,
  ) {
    this.fileName = basename(options.fileName);
    this.library = options.library ?? 'vil (mcap-typescript)';
    const compression = options.compression ?? 'zstd';
    const level = options.zstdLevel ?? 1;
    this.writer = new McapWriter({
      writable,
      useChunks: true,
      chunkSize: options.chunkSize ?? 768 * 1024,
      useStatistics: true,
      useSummaryOffsets: true,
      useChunkIndex: true,
      useMessageIndex: true,
      compressChunk:
        compression === 'zstd'
          ? (data) => ({ compression: 'zstd', compressedData: zstdCompressSync(data, { params: { [zlibConstants.ZSTD_c_compressionLevel]: level } }) })
          : undefined,
    });
  }

  start(): Promise<void> {
    return this.writer.start({ profile: 'ros2', library: this.library });
  }

  /** Registers a topic (its schema once per type) and returns its channel id. */
  async addTopic(topic: BagTopic): Promise<number> {
    let schemaId = this.schemaIds.get(topic.type);
    if (schemaId === undefined) {
      schemaId = await this.writer.registerSchema({ name: topic.type, encoding: 'ros2msg', data: this.encoder.encode(this.registry.schemaText(topic.type)) });
      this.schemaIds.set(topic.type, schemaId);
    }
    const hash = typeHash(this.registry, topic.type);
    const channelId = await this.writer.registerChannel({
      topic: topic.name,
      schemaId,
      messageEncoding: 'cdr',
      metadata: new Map([
        ['offered_qos_profiles', offeredQosYaml(topic.offeredQos)],
        ['topic_type_hash', hash],
      ]),
    });
    this.topics.push({ topic, channelId, hash });
    return channelId;
  }

  /** One CDR message; times in nanoseconds since the epoch. */
  write(channelId: number, logTime: bigint, publishTime: bigint, data: Uint8Array): Promise<void> {
    return this.writer.addMessage({ channelId, sequence: 0, logTime, publishTime, data });
  }

  /** Messages written so far. */
  get messageCount(): number {
    return Number(this.writer.statistics?.messageCount ?? 0n);
  }

  /** The bag metadata YAML (what `ros2 bag info` shows), from what was written. */
  serializedMetadata(): string {
    const stats = this.writer.statistics!;
    const count = stats.messageCount;
    const start = count > 0n ? stats.messageStartTime : 0n;
    const duration = count > 0n ? stats.messageEndTime - stats.messageStartTime : 0n;
    const big = (v: bigint): number | bigint => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
    const doc = {
      version: METADATA_VERSION,
      storage_identifier: 'mcap',
      duration: { nanoseconds: big(duration) },
      starting_time: { nanoseconds_since_epoch: big(start) },
      message_count: big(count),
      topics_with_message_count: this.topics.map((t) => ({
        topic_metadata: {
          name: t.topic.name,
          type: t.topic.type,
          serialization_format: 'cdr',
          offered_qos_profiles: t.topic.offeredQos.map(qosProfile),
          type_description_hash: t.hash,
        },
        message_count: big(stats.channelMessageCounts.get(t.channelId) ?? 0n),
      })),
      compression_format: '',
      compression_mode: '',
      relative_file_paths: [this.fileName],
      files: [{ path: this.fileName, starting_time: { nanoseconds_since_epoch: big(start) }, duration: { nanoseconds: big(duration) }, message_count: big(count) }],
      custom_data: {},
      ros_distro: ROS_DISTRO,
    };
    return stringifyYaml(doc);
  }

  /** Writes the rosbag2 metadata record, the summary and the footer. */
  async end(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.writer.addMetadata({ name: 'rosbag2', metadata: new Map([['serialized_metadata', this.serializedMetadata()]]) });
    await this.writer.end();
  }
}
