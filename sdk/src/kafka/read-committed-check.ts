import { createRequire } from "node:module";

/** A record as kafkajs's read_committed filter sees it. */
interface FilteredMessage {
  offset: string;
  key: Buffer | null;
  batchContext: { producerId: string; inTransaction: boolean };
}

/** kafkajs's read_committed filter (src/consumer/filterAbortedMessages.js), or a stand-in for it. */
export type AbortedMessagesFilter = (batch: {
  messages: FilteredMessage[];
  abortedTransactions: Array<{ firstOffset: string; producerId: string }>;
}) => FilteredMessage[];

/**
 * Whether a kafkajs read_committed filter drops the records of every aborted transaction when two of
 * them began before a fetch's first record. kafkajs 2.2.4's does not: it takes at most one aborted
 * transaction per record, so a reader can be handed an aborted, validly signed decision as if it were
 * committed. This repository patches its copy at install (infra/patches); a project that installs the
 * SDK has kafkajs as published, and an executor says so when it starts (MandateExecutor).
 */
export function dropsInterleavedAbortedTransactions(filter: AbortedMessagesFilter): boolean {
  const record = (offset: number, producerId: string, key = Buffer.from("k")): FilteredMessage => ({
    offset: String(offset),
    key,
    batchContext: { producerId, inTransaction: true },
  });
  const abortMarker = (offset: number, producerId: string) => record(offset, producerId, Buffer.from([0, 0, 0, 0]));
  const kept = filter({
    messages: [record(12, "b"), record(13, "a"), abortMarker(14, "b"), abortMarker(15, "a"), record(16, "c")],
    abortedTransactions: [
      { firstOffset: "10", producerId: "a" },
      { firstOffset: "11", producerId: "b" },
    ],
  });
  return kept.every((m) => m.offset !== "12" && m.offset !== "13");
}

/** The same check on the kafkajs this process loads; undefined when its filter cannot be found. */
export function installedKafkajsDropsAbortedTransactions(): boolean | undefined {
  try {
    const require = createRequire(import.meta.url);
    const filter = require("kafkajs/src/consumer/filterAbortedMessages.js") as AbortedMessagesFilter;
    return dropsInterleavedAbortedTransactions(filter);
  } catch {
    return undefined;
  }
}
