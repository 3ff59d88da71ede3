// Patches kafkajs 2.2.4's read_committed filter (node_modules/kafkajs/src/consumer/filterAbortedMessages.js);
// run by `npm install` / `npm ci` (postinstall). Idempotent; fails loudly if the file is not the one it knows.
//
// Why: a read_committed fetch returns the aborted transactions overlapping it, and the consumer must drop
// their messages. kafkajs takes the list as it comes and starts ignoring at most one aborted transaction
// per message it looks at, so when several start before a message (transactions of several producers
// interleaved in one partition, or a fetch that begins inside them), messages of aborted transactions are
// handed to the application as if committed. Mandate's validators write one partition of decisions from
// one transactional producer per action partition, so after a broker failure a reader (an executor, the
// sink, an agent) could be handed an aborted decision. The Java client keeps the list ordered by first
// offset and takes every transaction that starts at or before the message; so does this patch.
import console from "node:console";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import process from "node:process";

const require = createRequire(import.meta.url);
const file = path.join(path.dirname(require.resolve("kafkajs/package.json")), "src/consumer/filterAbortedMessages.js");
const MARKER = "// mandate: every aborted transaction starting at or before the message";
const ORIGINAL = `  const remainingAbortedTransactions = [...abortedTransactions]

  return messages.filter(message => {
    // If the message offset is GTE the first offset of the next aborted transaction
    // then we have stepped into an aborted transaction.
    if (
      remainingAbortedTransactions.length &&
      Long.fromValue(message.offset).gte(remainingAbortedTransactions[0].firstOffset)
    ) {
      const { producerId } = remainingAbortedTransactions.shift()
      currentAbortedTransactions.set(producerId, true)
    }`;
const PATCHED = `  const remainingAbortedTransactions = [...abortedTransactions].sort((a, b) =>
    Long.fromValue(a.firstOffset).compare(Long.fromValue(b.firstOffset))
  )

  return messages.filter(message => {
    ${MARKER}
    while (
      remainingAbortedTransactions.length &&
      Long.fromValue(message.offset).gte(remainingAbortedTransactions[0].firstOffset)
    ) {
      const { producerId } = remainingAbortedTransactions.shift()
      currentAbortedTransactions.set(producerId, true)
    }`;

const source = fs.readFileSync(file, "utf8");
if (source.includes(MARKER)) process.exit(0);
if (!source.includes(ORIGINAL)) {
  console.error(`kafkajs patch: ${file} is not the kafkajs 2.2.4 file this patch knows; read_committed would`);
  console.error("hand aborted transactions' messages to readers. Check the kafkajs version (package-lock.json).");
  process.exit(1);
}
fs.writeFileSync(file, source.replace(ORIGINAL, PATCHED));
console.error("kafkajs patch: read_committed drops every aborted transaction's messages (infra/patches)");
