// Patches kafkajs 2.2.4's transactional producer (node_modules/kafkajs/src/producer/eosManager/index.js);
// run by `npm install` / `npm ci` (postinstall). Idempotent; fails loudly if the file is not the one it knows.
//
// Why: kafkajs asks the cluster for the transaction coordinator (FindCoordinator) before every
// AddPartitionsToTxn, AddOffsetsToTxn and EndTxn, and for the group coordinator before every
// TxnOffsetCommit: four requests of a transaction's nine are lookups whose answer almost never changes.
// Measured in the bench (200 actions/s, one broker): 5,708 FindCoordinator requests for 1,409
// transactions, each about 2 ms at p50, in series with the rest. This patch looks each coordinator up
// once and keeps it until a request to it fails (a coordinator moved, a broker died; not for
// CONCURRENT_TRANSACTIONS, which says the coordinator is busy with the previous commit); the next request
// looks it up again, and kafkajs's own retries then go to the new one. The Java client keeps its
// coordinators the same way.
import console from "node:console";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import process from "node:process";

const require = createRequire(import.meta.url);
const file = path.join(path.dirname(require.resolve("kafkajs/package.json")), "src/producer/eosManager/index.js");
const MARKER = "// mandate: each coordinator is looked up once and kept until a request to it fails";
const REPLACEMENTS = [
  {
    original: `  const findTransactionCoordinator = () => {
    return cluster.findGroupCoordinator({
      groupId: transactionalId,
      coordinatorType: COORDINATOR_TYPES.TRANSACTION,
    })
  }`,
    patched: `  ${MARKER}
  const coordinators = new Map()
  const findCoordinator = async (groupId, coordinatorType) => {
    const key = \`\${coordinatorType}:\${groupId}\`
    let nodeId = coordinators.get(key)
    if (nodeId === undefined) {
      nodeId = cluster.findGroupCoordinator({ groupId, coordinatorType }).then(broker => broker.nodeId)
      coordinators.set(key, nodeId)
    }
    const forget = e => {
      if (e.type !== 'CONCURRENT_TRANSACTIONS' && coordinators.get(key) === nodeId) coordinators.delete(key)
    }
    try {
      await nodeId
    } catch (e) {
      forget(e)
      throw e
    }
    const request = name => async args => {
      try {
        const broker = await cluster.findBroker({ nodeId: await nodeId })
        return await broker[name](args)
      } catch (e) {
        forget(e)
        throw e
      }
    }
    return {
      initProducerId: request('initProducerId'),
      addPartitionsToTxn: request('addPartitionsToTxn'),
      addOffsetsToTxn: request('addOffsetsToTxn'),
      endTxn: request('endTxn'),
      txnOffsetCommit: request('txnOffsetCommit'),
    }
  }

  const findTransactionCoordinator = () =>
    findCoordinator(transactionalId, COORDINATOR_TYPES.TRANSACTION)`,
  },
  {
    original: `        let groupCoordinator = await cluster.findGroupCoordinator({
          groupId: consumerGroupId,
          coordinatorType: COORDINATOR_TYPES.GROUP,
        })`,
    patched: `        let groupCoordinator = await findCoordinator(consumerGroupId, COORDINATOR_TYPES.GROUP)`,
  },
  {
    original: `              groupCoordinator = await cluster.findGroupCoordinator({
                groupId: consumerGroupId,
                coordinatorType: COORDINATOR_TYPES.GROUP,
              })`,
    patched: `              groupCoordinator = await findCoordinator(consumerGroupId, COORDINATOR_TYPES.GROUP)`,
  },
];

const source = fs.readFileSync(file, "utf8");
if (source.includes(MARKER)) process.exit(0);
const unknown = REPLACEMENTS.filter(({ original }) => source.split(original).length !== 2);
if (unknown.length > 0) {
  console.error(`kafkajs patch: ${file} is not the kafkajs 2.2.4 file this patch knows; transactions would`);
  console.error("look their coordinators up before every request. Check the kafkajs version (package-lock.json).");
  process.exit(1);
}
fs.writeFileSync(
  file,
  REPLACEMENTS.reduce((text, { original, patched }) => text.replace(original, patched), source),
);
console.error("kafkajs patch: transactions keep their coordinators until a request to one fails (infra/patches)");
