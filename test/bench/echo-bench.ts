import crypto from "node:crypto";
import { Kafka, logLevel } from "kafkajs";
import { atFixedRate } from "./latency-stats.js";
import type { EchoSettings } from "./echo-settings.js";
import { KafkaEcho } from "./kafka-echo.js";

export interface EchoRun {
  rate: number;
  count: number;
  warmup: number;
  partitions: number;
}

/**
 * Round trips through a KafkaEcho at a fixed rate, as an agent sees them: sent with acks=all by an
 * idempotent producer with one request in flight (the SDK's), until a read_committed consumer of the
 * echo's output topic (the SDK's DecisionListener reads so) receives the copy. Milliseconds, the
 * warm-up left out. Fresh topics for each run.
 */
export async function benchEcho(brokers: string[], settings: EchoSettings, run: EchoRun): Promise<number[]> {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
  const id = crypto.randomUUID();
  const topics = { from: `bench.echo.in.${id}`, to: `bench.echo.out.${id}`, state: `bench.echo.state.${id}` };
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: Object.values(topics).map((topic) => ({ topic, numPartitions: run.partitions })),
    });
  } finally {
    await admin.disconnect();
  }
  const echo = new KafkaEcho(brokers, settings, topics, run.partitions);
  const waiting = new Map<string, () => void>();
  const listener = kafka.consumer({ groupId: `bench-listener-${id}`, readUncommitted: false });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const payload = Buffer.alloc(350, 1); // about the size of an encoded demo action
  const latencies: number[] = [];
  try {
    await echo.start();
    await listener.connect();
    await listener.subscribe({ topic: topics.to, fromBeginning: true });
    await listener.run({
      eachMessage: async ({ message }) => waiting.get(message.headers?.id?.toString() ?? "")?.(),
    });
    await producer.connect();
    await atFixedRate(run.rate, run.count + run.warmup, async (i) => {
      const messageId = String(i);
      const started = performance.now();
      const received = new Promise<void>((resolve) => waiting.set(messageId, resolve));
      await producer.send({
        topic: topics.from,
        acks: -1,
        messages: [{ key: `agent-${i % 12}`, value: payload, headers: { id: messageId } }],
      });
      await received;
      waiting.delete(messageId);
      if (i >= run.warmup) latencies.push(performance.now() - started);
    });
  } finally {
    await Promise.allSettled([producer.disconnect(), listener.disconnect(), echo.stop()]);
  }
  return latencies;
}
