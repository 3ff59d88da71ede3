import { Partitioners, type Message, type PartitionMetadata } from "kafkajs";
import { describe, expect, it } from "vitest";
import { groupByPartition, sendByPartition, type RecordSender } from "@mandate/common/partition-sends";

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
