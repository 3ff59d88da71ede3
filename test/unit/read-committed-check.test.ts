import { describe, expect, it } from "vitest";
import {
  dropsInterleavedAbortedTransactions,
  installedKafkajsDropsAbortedTransactions,
  type AbortedMessagesFilter,
} from "@mandate/sdk/kafka/read-committed-check";

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
