import { execFile } from "node:child_process";
import crypto from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  formatTimestamp,
  openClickHouse,
  sqlString,
  type ClickHouseCapabilities,
  type ClickHouseClient,
} from "@mandate/common/clickhouse-connection";
import type { DecisionRecord } from "@mandate/contracts";
import { CHAIN_HASHED_COLUMNS, ChainHasher, jsonChainHash } from "@mandate/common/trail-chain";
import { migrateTrail } from "@mandate/sink/trail-migrations";
import { verifyTrail } from "@mandate/cli/trail-verify";
import { DecisionChainer } from "@mandate/sink/decision-chainer";
import { TrailColumns } from "@mandate/common/trail-columns";
import { InsertRows } from "@mandate/sink/trail-writer";
import { decisionRow } from "@mandate/sink/trail-rows";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";
import { sampleDecision, storeRows } from "../support/trail-decisions.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const AGENTS = ["agent-intact", "agent-altered", "agent-removed", "agent-inserted", "agent-reordered"] as const;
const PER_AGENT = 12;

describe.each(["server", "embedded"] as const)("trail hash chains on ClickHouse %s", (mode) => {
  const stack = sharedStack(mode);
  const database = isolatedDatabase(`verify_${mode}`);
  let client: ClickHouseClient | undefined;
  let capabilities: ClickHouseCapabilities;
  const trail = () => client as ClickHouseClient;
  /** Every stored decision, by agent, in chain order. */
  const byAgent = new Map<string, DecisionRecord[]>();

  /** Stores decisions the way the sink does: chained per partition batch, then inserted, then the heads move. */
  async function store(chainer: DecisionChainer, firstOffset: number, decisions: DecisionRecord[]) {
    const rows = decisions.map((d, i) => decisionRow(d, { partition: 0, offset: String(firstOffset + i) }, Date.now()));
    if (chainer.needsHeads(0, String(firstOffset))) await chainer.loadHeads(0, String(firstOffset));
    const insert = new InsertRows((await TrailColumns.read(trail(), database)).of("decisions"));
    const linked = chainer.link(
      0,
      String(firstOffset + decisions.length - 1),
      rows,
      (row) => insert.add(row) as string,
    );
    await insert.insertInto(trail());
    linked();
    return rows;
  }

  async function mutate(statement: string, db = database) {
    await trail().command({ query: statement });
    // Mutations run in the background on both servers; wait until this table has none left.
    for (let waited = 0; ; waited += 100) {
      const result = await trail().query({
        query: `SELECT count() AS n FROM system.mutations
          WHERE database = ${sqlString(db)} AND table = 'decisions' AND is_done = 0`,
        format: "JSONEachRow",
      });
      const [row] = (await result.json()) as Array<{ n: string | number }>;
      if (Number(row?.n) === 0) return;
      if (waited > 30_000) throw new Error(`mutation still running after 30 s: ${statement}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const rowOf = (agent: string, place: number) => byAgent.get(agent)![place - 1]!;

  async function hasherOf(db: string): Promise<ChainHasher> {
    const columns = (await TrailColumns.read(trail(), db)).of("decisions");
    return new ChainHasher((column) => columns.writer(column));
  }

  beforeAll(async () => {
    client = await openClickHouse(stack.clickhouse!);
    ({ capabilities } = await migrateTrail(client, database));
    const start = Date.now() - 3_600_000;
    const decisions: DecisionRecord[] = [];
    for (let i = 0; i < PER_AGENT; i += 1) {
      for (const [a, agent] of AGENTS.entries()) decisions.push(sampleDecision(agent, start + i * 60_000 + a * 1000));
    }
    for (const d of decisions) byAgent.set(d.action.agent_id, [...(byAgent.get(d.action.agent_id) ?? []), d]);
    // The first half through one sink, the second through a fresh one (a restart): it must pick up the heads.
    const half = decisions.length / 2;
    await store(new DecisionChainer(trail(), database), 0, decisions.slice(0, half));
    await store(new DecisionChainer(trail(), database), half, decisions.slice(half));
  }, 120_000);

  afterAll(async () => {
    await client?.close();
    stack.cleanup();
  });

  it("chains each agent's decisions in order, across a sink restart, and verifies them intact", async () => {
    const result = await verifyTrail(trail(), { database, capabilities });
    // Every row matched the bytes ClickHouse sent: no agent had to be read again as JSON.
    expect(result).toMatchObject({
      agents: AGENTS.length,
      rows: AGENTS.length * PER_AGENT,
      problems: [],
      rechecked: 0,
    });
    const stored = await trail().query({
      query: `SELECT chain_seq, decision_id FROM ${database}.decisions WHERE agent_id = 'agent-intact' ORDER BY chain_seq`,
      format: "JSONEachRow",
    });
    const places = (await stored.json()) as Array<{ chain_seq: string | number; decision_id: string }>;
    expect(places.map((r) => [Number(r.chain_seq), r.decision_id])).toEqual(
      byAgent.get("agent-intact")!.map((d, i) => [i + 1, d.decision_id]),
    );
  });

  it("chains a redelivered batch to the same hashes, so its rows collapse with the first copies", async () => {
    const all = [...byAgent.values()].flat().sort((a, b) => a.decided_at - b.decided_at);
    const firstHalf = all.slice(0, all.length / 2);
    const chainer = new DecisionChainer(trail(), database);
    // A sink that stored the first half, crashed before committing and got it again from offset 0.
    const rows = firstHalf.map((d, i) => decisionRow(d, { partition: 0, offset: String(i) }, Date.now()));
    await chainer.loadHeads(0, "0");
    const hasher = await hasherOf(database);
    chainer.link(0, String(rows.length - 1), rows, (row) => hasher.hash(row));
    const stored = await trail().query({
      query: `SELECT decision_id, chain_hash FROM ${database}.decisions`,
      format: "JSONEachRow",
    });
    const hashes = new Map(
      ((await stored.json()) as Array<{ decision_id: string; chain_hash: string }>).map((r) => [
        r.decision_id,
        r.chain_hash,
      ]),
    );
    for (const row of rows) expect(row.chain_hash).toBe(hashes.get(row.decision_id));
  });

  it("hashes each row as the SHA-256 of the RowBinary bytes ClickHouse itself gives for its chain_prev and chained columns", async () => {
    const { decision_id: decisionId } = rowOf("agent-intact", 5);
    const result = await trail().exec({
      query: `SELECT ${CHAIN_HASHED_COLUMNS.join(", ")}, chain_hash FROM ${database}.decisions
        WHERE decision_id = ${sqlString(decisionId)} FORMAT RowBinary`,
    });
    const chunks: Buffer[] = [];
    for await (const chunk of result.stream) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    // The row ends with chain_hash: one length byte and 64 hex digits.
    const hashed = bytes.subarray(0, bytes.length - 65);
    const stored = bytes.subarray(bytes.length - 64).toString("ascii");
    expect(bytes[bytes.length - 65]).toBe(64);
    expect(crypto.hash("sha256", hashed, "hex")).toBe(stored);
  });

  it("verifies rows an earlier sink chained in the JSON format, and finds an altered one", async () => {
    const legacy = isolatedDatabase(`verify_json_${mode}`);
    await migrateTrail(trail(), legacy);
    const at = Date.now() - 600_000;
    // That sink's rows held their timestamps as the text it inserted, and it hashed them so.
    const rows = Array.from({ length: 6 }, (_, i) => {
      const row = decisionRow(
        sampleDecision(i % 2 ? "agent-json-b" : "agent-json-a", at + i * 1000),
        { partition: 0, offset: String(i) },
        at,
      );
      const text = (ms: number) => formatTimestamp(ms, capabilities);
      return {
        ...row,
        proposed_at: text(row.proposed_at),
        decided_at: text(row.decided_at),
        expires_at: text(row.expires_at),
        ingested_at: text(row.ingested_at),
      };
    });
    const heads = new Map<string, { seq: number; hash: string }>();
    for (const row of rows) {
      const head = heads.get(row.agent_id) ?? { seq: 0, hash: "0".repeat(64) };
      Object.assign(row, { chain_seq: head.seq + 1, chain_prev: head.hash });
      row.chain_hash = jsonChainHash(head.hash, row);
      heads.set(row.agent_id, { seq: row.chain_seq, hash: row.chain_hash });
    }
    // Inserted as JSON, as that sink did: an insert of the current sink would hash them anew.
    await trail().insert({ table: `${legacy}.decisions`, values: rows, format: "JSONEachRow" });
    expect(await verifyTrail(trail(), { database: legacy, capabilities })).toMatchObject({
      agents: 2,
      rows: 6,
      problems: [],
      rechecked: 2,
    });

    await mutate(
      `ALTER TABLE ${legacy}.decisions UPDATE reviewer = 'someone else' WHERE decision_id = ${sqlString(rows[3]!.decision_id)}`,
      legacy,
    );
    const altered = await verifyTrail(trail(), { database: legacy, capabilities });
    expect(altered.problems.map((p) => [p.agent_id, p.kind, p.chain_seq])).toEqual([["agent-json-b", "altered", 2]]);
  });

  it("finds an updated score, a deleted row, an inserted row and a reordered pair, each at its place", async () => {
    const altered = rowOf("agent-altered", 4);
    await mutate(
      `ALTER TABLE ${database}.decisions UPDATE score_drift = 0.99 WHERE decision_id = ${sqlString(altered.decision_id)}`,
    );

    const removed = rowOf("agent-removed", 6);
    await mutate(`ALTER TABLE ${database}.decisions DELETE WHERE decision_id = ${sqlString(removed.decision_id)}`);

    // A forged row placed after place 2, hashed correctly against its predecessor, claiming place 3.
    const before = await trail().query({
      query: `SELECT chain_hash FROM ${database}.decisions WHERE decision_id = ${sqlString(rowOf("agent-inserted", 2).decision_id)}`,
      format: "JSONEachRow",
    });
    const [{ chain_hash: previous }] = (await before.json()) as [{ chain_hash: string }];
    const forged = decisionRow(
      sampleDecision("agent-inserted", rowOf("agent-inserted", 2).decided_at + 1, { decision_id: "dec-forged" }),
      { partition: 0, offset: "999999" },
      Date.now(),
    );
    Object.assign(forged, { chain_seq: 3, chain_prev: previous });
    await storeRows(trail(), database, "decisions", [forged]);

    const [first, second] = [rowOf("agent-reordered", 8), rowOf("agent-reordered", 9)];
    await mutate(
      `ALTER TABLE ${database}.decisions UPDATE chain_seq = toUInt64(17 - chain_seq) ` +
        `WHERE decision_id IN (${sqlString(first.decision_id)}, ${sqlString(second.decision_id)})`,
    );

    const result = await verifyTrail(trail(), { database, capabilities });
    const found = Object.fromEntries(result.problems.map((p) => [p.agent_id, [p.kind, p.chain_seq]]));
    expect(found).toEqual({
      "agent-altered": ["altered", 4],
      "agent-removed": ["removed", 7],
      "agent-inserted": ["inserted", 3],
      "agent-reordered": ["relinked", 8],
    });
    // Only the altered row fails its RowBinary hash; the other breaks show in the link columns.
    expect(result.rechecked).toBe(1);

    // --since trusts the first row at or after it: the agents broken earlier verify from there on.
    const later = await verifyTrail(trail(), { database, capabilities, sinceMs: rowOf("agent-intact", 10).decided_at });
    expect(later.problems).toEqual([]);
    const one = await verifyTrail(trail(), { database, capabilities, agent: "agent-intact" });
    expect(one).toMatchObject({ agents: 1, rows: PER_AGENT, problems: [] });
  });

  it.runIf(mode === "server")("mandate trail verify reports the broken chains and exits 1", async () => {
    const { code, stdout } = await new Promise<{ code: number; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        [path.join(repoRoot, "services/cli/bin/mandate.mjs"), "trail", "verify"],
        {
          cwd: repoRoot,
          env: {
            ...process.env,
            CLICKHOUSE_URL: stack.clickhouse!.mode === "server" ? stack.clickhouse!.url : "",
            MANDATE_CLICKHOUSE_DATABASE: database,
          },
          timeout: 60_000,
        },
        (error, out) => resolve({ code: error ? Number(error.code) : 0, stdout: out }),
      );
    });
    expect(code).toBe(1);
    expect(stdout).toMatch(/^verified \d+ rows of 5 agents in [\d.]+ s: 4 broken$/m);
    expect(stdout).toContain("agent-removed: removed at place 7");
    expect(stdout).toContain("(1 agent read again as JSON");
  });
});
