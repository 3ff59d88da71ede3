import {
  sqlString,
  type ClickHouseCapabilities,
  type ClickHouseClient,
  formatTimestamp,
} from "@mandate/common/clickhouse-connection";
import { readVarUInt } from "@mandate/common/row-binary";
import {
  CHAIN_GENESIS,
  CHAIN_HASHED_COLUMNS,
  CHAINED_COLUMNS,
  ChainHasher,
  chainHashOf,
  jsonChainHash,
} from "@mandate/common/trail-chain";
import { TrailColumns, type TrailTableColumns } from "@mandate/common/trail-columns";

/**
 * What broke an agent's chain, at the first row where it broke:
 * - `altered`: the row no longer matches its own hash (a column was changed after it was chained);
 * - `removed`: the numbering skips (rows between were deleted);
 * - `inserted`: a second row claims a place that is already taken;
 * - `relinked`: the row is intact but does not follow the row before it (rows moved, or a row was
 *   put in and the numbering redone).
 */
export type ChainProblemKind = "altered" | "removed" | "inserted" | "relinked";

export interface ChainProblem {
  agent_id: string;
  kind: ChainProblemKind;
  chain_seq: number;
  decision_id: string;
  detail: string;
}

export interface TrailVerification {
  agents: number;
  rows: number;
  problems: ChainProblem[];
  /** Agents whose rows were read again as JSON: a row did not match its RowBinary hash (see verifyTrail). */
  rechecked: number;
  elapsedMs: number;
}

export interface TrailVerifyOptions {
  database: string;
  capabilities: ClickHouseCapabilities;
  agent?: string;
  /**
   * Verify only rows decided at or after this instant (epoch ms): each agent's first such row is
   * trusted as the start of its chain. Needed once retention has dropped the start of the chains.
   */
  sinceMs?: number;
}

/** What orders and links a row in its agent's chain. */
interface LinkRow {
  agent_id: string;
  decision_id: string;
  chain_seq: string | number;
  chain_prev: string;
  chain_hash: string;
}

/** A row read back as JSON: its link columns and every chained column. */
type ChainRow = LinkRow & Record<string, unknown>;

interface AgentChain {
  agent: string;
  expectedSeq: number;
  previousHash: string;
  broken: boolean;
}

/**
 * Recomputes every agent's hash chain from the trail (`decisions FINAL`, one agent after another in
 * chain order) and reports the first problem of each broken chain. Streams the rows, so memory stays
 * flat however large the trail.
 *
 * The rows are read as RowBinary, whose bytes for chain_prev and the chained columns are exactly what
 * the sink hashed (trail-chain.ts): each row is checked by hashing a slice of what ClickHouse sends,
 * with nothing decoded but the link columns. An agent with a row whose hash does not match that way
 * (an altered row, or rows an earlier sink chained in the JSON format) is read again as JSON and
 * checked in both formats.
 */
export async function verifyTrail(client: ClickHouseClient, options: TrailVerifyOptions): Promise<TrailVerification> {
  const started = performance.now();
  const conditions = ["chain_seq > 0"];
  if (options.agent !== undefined) conditions.push(`agent_id = ${sqlString(options.agent)}`);
  if (options.sinceMs !== undefined) {
    conditions.push(`decided_at >= ${sqlString(formatTimestamp(options.sinceMs, options.capabilities))}`);
  }
  const decisions = (await TrailColumns.read(client, options.database)).of("decisions");
  const fast = await verifyBinary(client, options, conditions, decisions);
  const rechecked = new Map<string, ChainProblem | undefined>();
  if (fast.recheck.size > 0) {
    // A short list goes into the query; beyond it, the other agents' rows are read and passed over.
    const only =
      fast.recheck.size <= 1_000
        ? [`agent_id IN (${[...fast.recheck].map((agent) => sqlString(agent)).join(", ")})`]
        : [];
    const slow = await verifyJson(client, options, [...conditions, ...only], decisions, fast.recheck);
    for (const agent of fast.recheck) rechecked.set(agent, undefined);
    for (const problem of slow) rechecked.set(problem.agent_id, problem);
  }
  const problems: ChainProblem[] = [];
  for (const { agent, problem } of fast.outcomes) {
    const found = rechecked.has(agent) ? rechecked.get(agent) : problem;
    if (found) problems.push(found);
  }
  return {
    agents: fast.outcomes.length,
    rows: fast.rows,
    problems,
    rechecked: fast.recheck.size,
    elapsedMs: performance.now() - started,
  };
}

/** The columns before the hashed ones in each row read as RowBinary: what orders and links the rows. */
const LINK_COLUMNS = ["agent_id", "chain_seq", "decision_id", "chain_hash"] as const;

/**
 * The first pass of verifyTrail: each agent in order with its first problem, if any, and the agents
 * whose rows must be read again as JSON.
 */
async function verifyBinary(
  client: ClickHouseClient,
  options: TrailVerifyOptions,
  conditions: string[],
  decisions: TrailTableColumns,
): Promise<{ rows: number; outcomes: Array<{ agent: string; problem?: ChainProblem }>; recheck: Set<string> }> {
  const skippers = [...LINK_COLUMNS, ...CHAIN_HASHED_COLUMNS].map((column) => decisions.skipper(column));
  const result = await client.exec({
    query: `${chainQuery(options, conditions, [...LINK_COLUMNS, ...CHAIN_HASHED_COLUMNS])} FORMAT RowBinary`,
  });
  const outcomes: Array<{ agent: string; problem?: ChainProblem }> = [];
  const recheck = new Set<string>();
  let rows = 0;
  let chain: AgentChain | undefined;
  const end = { at: 0 };
  // A String column's value at `at`; `end.at` is then where it ends.
  const text = (bytes: Buffer, at: number): string => {
    const length = readVarUInt(bytes, at, end);
    const from = end.at;
    end.at = from + length;
    return bytes.toString("utf8", from, end.at);
  };
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of result.stream as AsyncIterable<Buffer>) {
    const bytes = pending.length > 0 ? Buffer.concat([pending, chunk]) : chunk;
    let at = 0;
    for (;;) {
      // Where the row ends, and where its hashed columns begin; a row cut off waits for the next chunk.
      let next = at;
      let hashedFrom = -1;
      for (let i = 0; i < skippers.length && next >= 0; i += 1) {
        if (i === LINK_COLUMNS.length) hashedFrom = next;
        next = skippers[i]!(bytes, next);
      }
      if (next < 0) break;
      rows += 1;
      const agent = text(bytes, at);
      const seqAt = end.at;
      const row: LinkRow = {
        agent_id: agent,
        // chain_seq is a UInt64 (migration 0003): 8 bytes, little-endian.
        chain_seq: bytes.readUInt32LE(seqAt) + bytes.readUInt32LE(seqAt + 4) * 0x1_0000_0000,
        decision_id: text(bytes, seqAt + 8),
        chain_hash: text(bytes, end.at),
        chain_prev: text(bytes, hashedFrom),
      };
      if (chain?.agent !== agent) {
        chain = startChain(row, options.sinceMs !== undefined);
        outcomes.push({ agent });
      }
      if (!chain.broken) {
        const problem = checkLink(chain, row, () => chainHashOf(bytes.subarray(hashedFrom, next)) === row.chain_hash);
        // Altered, as far as RowBinary tells: the JSON pass decides, knowing the earlier format too.
        if (problem?.kind === "altered") recheck.add(agent);
        else if (problem) outcomes[outcomes.length - 1]!.problem = problem;
      }
      at = next;
    }
    pending = bytes.subarray(at);
  }
  if (pending.length > 0) throw new Error("trail verify: ClickHouse's answer ended inside a row");
  return { rows, outcomes, recheck };
}

/** The second pass of verifyTrail, over the rows of `agents` read as JSON: each broken chain's first problem. */
async function verifyJson(
  client: ClickHouseClient,
  options: TrailVerifyOptions,
  conditions: string[],
  decisions: TrailTableColumns,
  agents: ReadonlySet<string>,
): Promise<ChainProblem[]> {
  const hasher = new ChainHasher((column) => decisions.writer(column));
  const columns = [...new Set([...CHAINED_COLUMNS, "chain_seq", "chain_prev", "chain_hash"])];
  // Rows as arrays where the server writes them (20.x and later): the embedded engine formats a million
  // of them in half the time of objects, which repeat every column name. 18.16 writes only objects.
  const compact = options.capabilities.compactJsonRows;
  const result = await client.query({
    query: chainQuery(options, conditions, columns),
    format: compact ? "JSONCompactEachRow" : "JSONEachRow",
  });
  const rowOf = (item: { json<T>(): T }): ChainRow => {
    if (!compact) return item.json<ChainRow>();
    const values = item.json<unknown[]>();
    const row: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i += 1) row[columns[i]!] = values[i];
    return row as ChainRow;
  };

  const problems: ChainProblem[] = [];
  let chain: AgentChain | undefined;
  for await (const batch of result.stream()) {
    for (const item of batch) {
      const row = rowOf(item);
      if (!agents.has(row.agent_id)) continue;
      if (chain?.agent !== row.agent_id) chain = startChain(row, options.sinceMs !== undefined);
      if (chain.broken) continue;
      // Rows chained by earlier sinks hash JSON text (trail-chain.ts); either format proves the row intact.
      const problem = checkLink(
        chain,
        row,
        () => hasher.hash(row) === row.chain_hash || jsonChainHash(row.chain_prev, row) === row.chain_hash,
      );
      if (problem) problems.push(problem);
    }
  }
  return problems;
}

/** The rows' `columns`, one agent after another in chain order; both passes read the trail so. */
function chainQuery(options: TrailVerifyOptions, conditions: string[], columns: readonly string[]): string {
  return `SELECT ${columns.join(", ")}
    FROM ${options.database}.decisions FINAL
    WHERE ${conditions.join(" AND ")}
    ORDER BY agent_id, chain_seq, decision_id`;
}

function startChain(first: LinkRow, trustFirst: boolean): AgentChain {
  return trustFirst
    ? { agent: first.agent_id, expectedSeq: Number(first.chain_seq), previousHash: first.chain_prev, broken: false }
    : { agent: first.agent_id, expectedSeq: 1, previousHash: CHAIN_GENESIS, broken: false };
}

/**
 * Checks a row against the chain so far: moves the chain on, or marks it broken and returns the
 * problem. `intact` says whether the row matches its own hash.
 */
function checkLink(chain: AgentChain, row: LinkRow, intact: () => boolean): ChainProblem | undefined {
  const found = linkProblem(chain, row, intact);
  if (found === undefined) return undefined;
  chain.broken = true;
  return { agent_id: row.agent_id, chain_seq: Number(row.chain_seq), decision_id: row.decision_id, ...found };
}

function linkProblem(
  chain: AgentChain,
  row: LinkRow,
  intact: () => boolean,
): { kind: ChainProblemKind; detail: string } | undefined {
  const seq = Number(row.chain_seq);
  if (seq < chain.expectedSeq) {
    return { kind: "inserted", detail: `a second row claims place ${seq} in the chain` };
  }
  if (seq > chain.expectedSeq) {
    const missing = seq - chain.expectedSeq;
    return {
      kind: "removed",
      detail: `${missing} row${missing === 1 ? "" : "s"} missing before place ${seq} (expected place ${chain.expectedSeq})`,
    };
  }
  if (!intact()) {
    return { kind: "altered", detail: `the row at place ${seq} no longer matches its hash` };
  }
  if (row.chain_prev !== chain.previousHash) {
    return { kind: "relinked", detail: `the row at place ${seq} does not follow the row before it` };
  }
  chain.expectedSeq = seq + 1;
  chain.previousHash = row.chain_hash;
  return undefined;
}
