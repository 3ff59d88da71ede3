import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);

interface EosManager {
  initProducerId(): Promise<void>;
  beginTransaction(): void;
  addPartitionsToTransaction(
    topicData: Array<{ topic: string; partitions: Array<{ partition: number }> }>,
  ): Promise<void>;
  sendOffsets(offsets: {
    consumerGroupId: string;
    topics: Array<{ topic: string; partitions: Array<{ partition: number; offset: string }> }>;
  }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

/** kafkajs's transaction manager, as installed (patched by infra/patches/kafkajs-coordinator-cache.mjs). */
const createEosManager = require("kafkajs/src/producer/eosManager/index.js") as (options: {
  logger: unknown;
  cluster: unknown;
  transactional: boolean;
  transactionalId: string;
}) => EosManager;

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** A cluster whose one broker answers every transaction request, failing the ones `failing` names once each. */
function fakeCluster(failing: Set<string>) {
  const lookups: string[] = [];
  const requests: string[] = [];
  const answer =
    (name: string, result: unknown = {}) =>
    async () => {
      requests.push(name);
      if (failing.delete(name)) throw Object.assign(new Error("not coordinator"), { type: "NOT_COORDINATOR" });
      return result;
    };
  const broker = {
    nodeId: 1,
    initProducerId: answer("InitProducerId", { producerId: 7, producerEpoch: 0 }),
    addPartitionsToTxn: answer("AddPartitionsToTxn"),
    addOffsetsToTxn: answer("AddOffsetsToTxn"),
    txnOffsetCommit: answer("TxnOffsetCommit"),
    endTxn: answer("EndTxn"),
  };
  const cluster = {
    retry: { retries: 0 },
    refreshMetadataIfNecessary: async () => undefined,
    findGroupCoordinator: async ({ coordinatorType }: { coordinatorType: number }) => {
      lookups.push(coordinatorType === 1 ? "transaction" : "group");
      return broker;
    },
    findBroker: async ({ nodeId }: { nodeId: number }) => (nodeId === 1 ? broker : undefined),
  };
  return { cluster, lookups, requests };
}

async function transaction(eos: EosManager): Promise<void> {
  eos.beginTransaction();
  await eos.addPartitionsToTransaction([{ topic: "decisions", partitions: [{ partition: 0 }] }]);
  await eos.sendOffsets({
    consumerGroupId: "validators",
    topics: [{ topic: "actions", partitions: [{ partition: 0, offset: "1" }] }],
  });
  await eos.commit();
}

describe("kafkajs transactions' coordinators", () => {
  it("are looked up once, not before every request of every transaction", async () => {
    const { cluster, lookups, requests } = fakeCluster(new Set());
    const eos = createEosManager({ logger: silent, cluster, transactional: true, transactionalId: "t-0" });
    await eos.initProducerId();
    for (let i = 0; i < 3; i += 1) await transaction(eos);
    expect(requests.filter((r) => r === "EndTxn")).toHaveLength(3);
    expect(lookups.sort()).toEqual(["group", "transaction"]);
  });

  it("are looked up again after a request to one failed", async () => {
    const { cluster, lookups } = fakeCluster(new Set(["AddPartitionsToTxn"]));
    const eos = createEosManager({ logger: silent, cluster, transactional: true, transactionalId: "t-0" });
    await eos.initProducerId();
    await expect(transaction(eos)).rejects.toThrow("not coordinator");
    await eos.abort();
    await transaction(eos);
    expect(lookups.filter((l) => l === "transaction")).toHaveLength(2);
  });
});
