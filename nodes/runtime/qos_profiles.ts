// The QoS vil offers and requests: a user-facing contract (README "Topics and QoS").
//
// vil publishes RELIABLE (keep last): a reliable publisher matches both a default (reliable)
// subscriber — rclpy's and rclcpp's default, `ros2 topic echo` — and a sensor-data (best effort)
// one, so nothing has to be configured to listen. Many ROS drivers publish sensor data best
// effort instead, which a default subscriber cannot receive. A reliable keep-last writer never
// blocks: a reader that falls behind its depth loses the oldest samples, as with best effort.
//
// vil subscribes to sensor inputs BEST EFFORT, which matches any publisher (a best-effort driver or
// simulator, or a reliable one), and to raw streams it decodes (`source: topic`, a bag replay)
// RELIABLE and deep, so a burst is not lost between the player and the decoder.
import type { QosSettings } from './ros.js';

/** Raw streams (NMEA sentences, CAN frames): what `ros2 bag record` keeps; a burst must fit. */
export const RAW_DEPTH = 1000;

/** Raw streams as published: reliable, deep (a u-blox epoch is ~35 sentences in one burst). */
export function rawOutputQos(depth = RAW_DEPTH): QosSettings {
  return { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth };
}

/** Raw streams as decoded from a topic (bag replay): reliable and as deep as the publisher's. */
export function rawInputQos(depth = RAW_DEPTH): QosSettings {
  return { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth };
}

/** Decoded data and state vil publishes (fix, velocity, vehicle state, poses, object lists). */
export const OUTPUT_QOS: Readonly<QosSettings> = { reliability: 'reliable', durability: 'volatile', history: 'keep_last', depth: 10 };

/** Sensor inputs vil takes from anyone: best effort matches every publisher. */
export function inputQos(depth = 10): QosSettings {
  return { reliability: 'best_effort', durability: 'volatile', history: 'keep_last', depth };
}

/** rclcpp::ClockQoS: how a node's time source subscribes to /clock (matches any clock publisher). */
export const CLOCK_QOS: Readonly<QosSettings> = { reliability: 'best_effort', durability: 'volatile', history: 'keep_last', depth: 1 };
