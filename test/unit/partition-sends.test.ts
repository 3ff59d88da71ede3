import { Partitioners, type Message, type PartitionMetadata } from "kafkajs";
import { describe, expect, it } from "vitest";
import {
  groupByPartition,
  MAX_PARTITION_SEND_BYTES,
  PartialSendError,
  sendByPartition,
  sendInTransaction,
  type BatchSender,
  type RecordSender,
} from "@mandate/common/partition-sends";

const metadata = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    partitionErrorCode: 0,
    replicas: [1],
    isr: [1],
  }));

describe("sends split by partition", () => {
  it("puts each keyed message where kafkajs's default partitioner would", () => {
    const messages: Message[] = Array.from({ length: 200 }, (_, i) => ({ key: `agent-${i}`, value: `v${i}` }));
    const groups = groupByPartition(messages, 12);
    const partitioner = Partitioners.DefaultPartitioner();
    for (const [partition, group] of groups) {
      for (const message of group) {
        expect(partitioner({ topic: "t", partitionMetadata: metadata(12), message })).toBe(partition);
      }
    }
    expect([...groups.values()].flat()).toHaveLength(200);
    expect(groups.size).toBe(12);
  });

  it("keeps explicit partitions and the order within each partition, and spreads unkeyed messages", () => {
    const messages: Message[] = [
      { partition: 3, value: "a" },
      { key: null, value: "b" },
      { partition: 3, value: "c" },
      { key: null, value: "d" },
    ];
    const groups = groupByPartition(messages, 4);
    expect(groups.get(3)?.map((m) => m.value)).toEqual(["a", "c"]);
    expect(groups.get(0)?.map((m) => m.value)).toEqual(["b"]);
    expect(groups.get(1)?.map((m) => m.value)).toEqual(["d"]);
  });

  it("sends each partition on its own, with the partition set, one after another", async () => {
    const sends: Array<{ topic: string; partitions: number[]; acks?: number }> = [];
    const sender: RecordSender = {
      send: async ({ topic, messages, acks }) => {
        sends.push({ topic, partitions: [...new Set(messages.map((m) => m.partition as number))], acks });
        return [];
      },
    };
    const messages: Message[] = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: "v" }));
    await sendByPartition(sender, "decisions", messages, 6);
    expect(sends.every((s) => s.partitions.length === 1 && s.acks === -1 && s.topic === "decisions")).toBe(true);
    expect(sends.map((s) => s.partitions[0])).toEqual([...groupByPartition(messages, 6).keys()]);
  });
});

/** A transaction that answers for every partition it is sent, except those in `unanswered` ("topic/partition"). */
function fakeTransaction(unanswered: string[] = []) {
  const batches: Array<Array<{ topic: string; partitions: number[]; count: number }>> = [];
  const transaction: BatchSender = {
    sendBatch: async ({ topicMessages }) => {
      batches.push(
        topicMessages.map(({ topic, messages }) => ({
          topic,
          partitions: [...new Set(messages.map((m) => m.partition as number))],
          count: messages.length,
        })),
      );
      return topicMessages
        .map(({ topic, messages }) => ({ topicName: topic, partition: messages[0]?.partition as number, errorCode: 0 }))
        .filter(({ topicName, partition }) => !unanswered.includes(`${topicName}/${partition}`));
    },
  };
  return { transaction, batches };
}

describe("sends inside a transaction", () => {
  it("sends every topic's partitions in one batch, one partition per entry", async () => {
    const { transaction, batches } = fakeTransaction();
    const decisions: Message[] = Array.from({ length: 20 }, (_, i) => ({ key: `agent-${i % 4}`, value: "d" }));
    const state: Message[] = [{ key: "s", value: "x", partition: 2 }];
    await sendInTransaction(transaction, [
      { topic: "decisions", messages: decisions, partitions: 6 },
      { topic: "state", messages: state, partitions: 6 },
    ]);
    expect(batches).toHaveLength(1);
    const entries = batches[0] ?? [];
    expect(entries.every((e) => e.partitions.length === 1)).toBe(true);
    expect(entries.filter((e) => e.topic === "decisions").map((e) => e.partitions[0])).toEqual([
      ...groupByPartition(decisions, 6).keys(),
    ]);
    expect(entries.find((e) => e.topic === "state")?.partitions).toEqual([2]);
    expect(entries.reduce((n, e) => n + e.count, 0)).toBe(21);
  });

  it("fails when kafkajs resolves without an answer for a partition it was given", async () => {
    const { transaction } = fakeTransaction(["state/2"]);
    const sending = sendInTransaction(transaction, [
      { topic: "decisions", messages: [{ key: "a", value: "d" }], partitions: 6 },
      { topic: "state", messages: [{ key: "s", value: "x", partition: 2 }], partitions: 6 },
    ]);
    await expect(sending).rejects.toBeInstanceOf(PartialSendError);
    await expect(sending).rejects.toThrow("state/2");
  });

  it("sends a partition's records past the request size limit in further batches", async () => {
    const { transaction, batches } = fakeTransaction();
    const big = Buffer.alloc(MAX_PARTITION_SEND_BYTES / 2);
    const messages: Message[] = [0, 1, 2].map((i) => ({ key: "k", value: big, headers: { i: String(i) } }));
    await sendInTransaction(transaction, [{ topic: "decisions", messages, partitions: 3 }]);
    expect(batches.map((b) => b.map((e) => e.count))).toEqual([[1], [1], [1]]);
  });
});
