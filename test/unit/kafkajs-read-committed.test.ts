import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import {
  dropsInterleavedAbortedTransactions,
  installedKafkajsDropsAbortedTransactions,
  type AbortedMessagesFilter,
} from "@mandate/sdk/kafka/read-committed-check";

const require = createRequire(import.meta.url);
/** kafkajs's read_committed filter, as installed (patched by infra/patches/kafkajs-aborted-transactions.mjs). */
const filterAbortedMessages = require("kafkajs/src/consumer/filterAbortedMessages.js") as (batch: {
  messages: Message[];
  abortedTransactions: Array<{ firstOffset: string; producerId: string }>;
}) => Message[];

interface Message {
  offset: string;
  key: Buffer | null;
  batchContext: { producerId: string; inTransaction: boolean };
}

const record = (offset: number, producerId: string): Message => ({
  offset: String(offset),
  key: Buffer.from("k"),
  batchContext: { producerId, inTransaction: true },
});
const abortMarker = (offset: number, producerId: string): Message => ({
  offset: String(offset),
  key: Buffer.from([0, 0, 0, 0]),
  batchContext: { producerId, inTransaction: true },
});

/**
 * A partition written by several transactional producers at once (one per action partition of a
 * validator): two transactions aborted after a broker failure, interleaved with a committed one, and a
 * fetch that starts after both began. A read_committed reader must get the committed records only.
 */
describe("kafkajs read_committed", () => {
  it("drops the records of every aborted transaction, however they interleave", () => {
    const messages = [
      record(12, "b"),
      record(13, "a"),
      record(14, "c"),
      record(15, "b"),
      abortMarker(16, "b"),
      record(17, "a"),
      abortMarker(18, "a"),
      record(19, "c"),
    ];
    // Both began before the fetch's first record, which is b's: taking one aborted transaction per
    // record (a's, listed first), kafkajs 2.2.4 handed b's record 12 on as committed.
    const abortedTransactions = [
      { firstOffset: "10", producerId: "a" },
      { firstOffset: "11", producerId: "b" },
    ];
    const kept = filterAbortedMessages({ messages, abortedTransactions }).filter((m) => m.key?.length !== 4);
    expect(kept.map((m) => m.offset)).toEqual(["14", "19"]);
  });

  it("keeps the records of a producer once its aborted transaction ended", () => {
    const messages = [record(5, "a"), abortMarker(6, "a"), record(7, "a")];
    const kept = filterAbortedMessages({ messages, abortedTransactions: [{ firstOffset: "5", producerId: "a" }] });
    expect(kept.map((m) => m.offset)).toEqual(["6", "7"]);
  });
});

/** kafkajs 2.2.4's filter as published: at most one aborted transaction taken per record, in list order. */
const publishedFilter: AbortedMessagesFilter = ({ messages, abortedTransactions }) => {
  const current = new Set<string>();
  const remaining = [...abortedTransactions];
  return messages.filter((message) => {
    if (remaining.length && BigInt(message.offset) >= BigInt(remaining[0]!.firstOffset)) {
      current.add(remaining.shift()!.producerId);
    }
    const { producerId, inTransaction } = message.batchContext;
    if (message.key?.equals(Buffer.from([0, 0, 0, 0]))) current.delete(producerId);
    else if (current.has(producerId) && inTransaction) return false;
    return true;
  });
};

describe("the SDK's check of kafkajs's read_committed filter", () => {
  it("finds the filter as published unsound", () => {
    expect(dropsInterleavedAbortedTransactions(publishedFilter)).toBe(false);
  });

  it("finds this repository's kafkajs (patched at install) sound", () => {
    expect(installedKafkajsDropsAbortedTransactions()).toBe(true);
  });
});
