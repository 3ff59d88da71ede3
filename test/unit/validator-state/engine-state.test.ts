import crypto from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  type ProposedAction,
  type AgentObservation,
  type AgentRegistration,
  actionSigner,
  signAction,
} from "@mandate/contracts";
import { MandateDecisionEngine } from "@mandate/validator/mandate-decision-engine";
import type { Kafka } from "kafkajs";
import type { Logger } from "@mandate/common/logger";
import {
  decodeAgentRecord,
  encodeAgentRecord,
  encodeSessionRecord,
  parseStateKey,
  stateKey,
} from "@mandate/validator/validator-state/agent-state";
import { CompactedState, StateChangelog } from "@mandate/validator/validator-state/state-changelog";
import { agentKey } from "../../support/agent-keys.js";
import { testRegistration } from "../../support/registrations.js";

/*
 * The four kinds of state the engine keeps per agent — replay window, proposal rate, drift baseline,
 * session provenance — count a batch once: an aborted batch counts nothing, and the batch decided again
 * gets the verdicts it would have got the first time. And all four survive a restore from the record
 * the validator-state changelog keeps.
 */

const key = agentKey("state-bot-1");
const signer = actionSigner(key.signingKey);
const T0 = Date.UTC(2026, 4, 1, 12);

function registration(rateLimit: number | null = null): AgentRegistration {
  const base = testRegistration("state-bot", ["lookup_order", "send_email", "refund_order"]);
  return { ...base, keys: [key.registered], scope: { ...base.scope, rate_limit_per_minute: rateLimit } };
}

function action(tool: string, at: number, overrides: Partial<ProposedAction> = {}): ProposedAction {
  return signAction(
    {
      action_id: crypto.randomUUID(),
      agent_id: "state-bot",
      session_id: "s-1",
      session_task: "Where is order A-1?",
      tool,
      operation: "read",
      resource: null,
      destination: null,
      arguments_json: JSON.stringify({ order_id: "A-1" }),
      intent: "check the order",
      proposed_at: at,
      nonce: crypto.randomBytes(12).toString("hex"),
      signature: null,
      executor_group: null,
      ...overrides,
    },
    signer,
  );
}

function observation(actionId: string, at: number): AgentObservation {
  return {
    observation_id: crypto.randomUUID(),
    agent_id: "state-bot",
    session_id: "s-1",
    action_id: actionId,
    tool: "lookup_order",
    arguments_json: null,
    output: JSON.stringify({ order_id: "A-1", email: "carol@example.org" }),
    error: null,
    truncated: false,
    reporter: "executor:test",
    observed_at: at,
  };
}

const codes = (decision: { reasons: { code: string }[] }) => decision.reasons.map((r) => r.code);

describe("engine state, batch by batch", () => {
  it("an aborted batch counts nothing: the same batch decided again gets the same verdicts and counts once", () => {
    const engine = new MandateDecisionEngine();
    const reg = registration(3);
    const opening = engine.beginBatch();
    const first = action("lookup_order", T0);
    expect(engine.decideAction(first, reg, T0).verdict).toBe("approved");
    engine.endBatch();
    engine.commitBatch(opening);
    const before = engine.agentState("state-bot", T0 + 1);

    const batch = [action("refund_order", T0 + 1000), action("lookup_order", T0 + 2000)];
    const decideBatch = () => {
      const journal = engine.beginBatch();
      const seen = engine.observeSession(observation(first.action_id, T0 + 500), reg, T0 + 500);
      const verdicts = batch.map((a, i) => engine.decideAction(a, reg, T0 + 1000 * (i + 1)));
      engine.endBatch();
      return { journal, seen, verdicts };
    };
    const once = decideBatch();
    expect(once.seen.taken).toBe(true);
    expect(once.verdicts.map((v) => v.verdict)).not.toContain("rejected");
    engine.abortBatch(once.journal);

    // Nothing of the aborted batch stayed: no envelope, no proposal counted, no tool learned, no value seen.
    const after = engine.agentState("state-bot", T0 + 1);
    expect(after.replay).toEqual(before.replay);
    expect(after.behaviour).toEqual(before.behaviour);
    expect(after.sessions.flatMap((s) => s.values)).toEqual([]);

    const again = decideBatch();
    engine.commitBatch(again.journal);
    expect(again.verdicts.map((v) => v.verdict)).toEqual(once.verdicts.map((v) => v.verdict));
    expect(again.verdicts.flatMap(codes)).not.toContain("identity.replayed_nonce");
    expect(again.verdicts.flatMap(codes)).not.toContain("scope.rate_over_limit");
    const committed = engine.agentState("state-bot", T0 + 3000);
    expect(committed.replay?.nonces).toHaveLength(3);
    expect(committed.behaviour?.approvedCount).toBe(before.behaviour!.approvedCount + 2);
    expect(committed.behaviour?.rate.buckets.reduce((a, b) => a + b, 0)).toBe(3);
    expect(committed.sessions[0]?.values.map(([value]) => value)).toContain("carol@example.org");
  });

  it("a reviewer's approval that arrives while a batch awaits its transaction survives the batch's abort", () => {
    const engine = new MandateDecisionEngine();
    const reg = registration();
    engine.decideAction(action("lookup_order", T0), reg, T0);
    const reviewed = action("send_email", T0 + 10, { destination: "mail.example.com" });

    const batch = engine.beginBatch();
    engine.decideAction(action("lookup_order", T0 + 1000), reg, T0 + 1000);
    engine.endBatch();
    engine.recordReviewedApproval(reviewed, T0 + 1000);
    // Held back until the transaction ends: not yet in the baseline.
    expect(engine.agentState("state-bot", T0 + 2000).behaviour?.tools).not.toContain("send_email");
    engine.abortBatch(batch);
    expect(engine.agentState("state-bot", T0 + 2000).behaviour?.tools).toContain("send_email");
  });

  it("batches of different agents await their transactions at once: one's abort leaves the other's decisions", () => {
    const engine = new MandateDecisionEngine();
    const alice = { ...registration(), agent_id: "alice" };
    const bob = { ...registration(), agent_id: "bob" };
    const forAgent = (agentId: string, at: number) => action("lookup_order", at, { agent_id: agentId });

    const first = engine.beginBatch();
    const aliceAction = forAgent("alice", T0);
    engine.decideAction(aliceAction, alice, T0);
    engine.endBatch();
    const second = engine.beginBatch();
    const bobAction = forAgent("bob", T0);
    engine.decideAction(bobAction, bob, T0);
    engine.endBatch();

    engine.abortBatch(first);
    engine.commitBatch(second);
    // Alice's batch is undone (decided again, it is not its own replay); Bob's stays (a second copy is one).
    expect(codes(engine.decideAction(aliceAction, alice, T0 + 10))).not.toContain("identity.replayed_nonce");
    expect(codes(engine.decideAction(bobAction, bob, T0 + 10))).toContain("identity.replayed_nonce");
    expect(engine.agentState("bob", T0 + 10).behaviour?.approvedCount).toBe(1);
  });
});

describe("engine state, restored from its changelog records", () => {
  /** The changelog's records of one batch, as the validator writes them (one partition, so every agent's is 0). */
  const changelog = new StateChangelog({} as Kafka, "validator-state", {} as Logger);
  function batchRecords(engine: MandateDecisionEngine, decide: () => void) {
    const batch = engine.beginBatch();
    decide();
    const records = changelog.takeRecords(engine, new Set(["state-bot"]), 0, () => 0);
    engine.endBatch();
    engine.commitBatch(batch);
    return records;
  }
  function restoredFrom(records: Array<{ key?: unknown; value?: unknown }>): MandateDecisionEngine {
    const compacted = new CompactedState();
    for (const r of records) compacted.add(r.key as string, (r.value as Buffer | null) ?? null, 0);
    const restored = new MandateDecisionEngine();
    compacted.applyTo(restored, () => undefined);
    return restored;
  }

  it("keeps the replay window, the rate, the baseline and the session", () => {
    const reg = registration(2);
    const engine = new MandateDecisionEngine();
    const first = action("lookup_order", T0);
    const second = action("refund_order", T0 + 1000);
    const records = [
      ...batchRecords(engine, () => expect(engine.decideAction(first, reg, T0).verdict).toBe("approved")),
      ...batchRecords(engine, () => engine.observeSession(observation(first.action_id, T0 + 500), reg, T0 + 500)),
      ...batchRecords(engine, () => expect(engine.decideAction(second, reg, T0 + 1000).verdict).not.toBe("rejected")),
    ];
    const restored = restoredFrom(records);
    expect(restored.agentState("state-bot", T0 + 1000)).toEqual(engine.agentState("state-bot", T0 + 1000));
    expect(restored.agentState("state-bot", T0 + 1000).sessions[0]?.values.length).toBeGreaterThan(0);
    // What was restored is in the changelog already: the next batch writes none of it again.
    expect(restored.takeSessionChanges()).toEqual([]);

    // The replay of a decided envelope is refused; a third proposal in the minute is over the limit of 2.
    expect(codes(restored.decideAction(first, reg, T0 + 2000))).toEqual(["identity.replayed_nonce"]);
    expect(codes(restored.decideAction(action("lookup_order", T0 + 3000), reg, T0 + 3000))).toContain(
      "scope.rate_over_limit",
    );
    // A fresh engine, which is what the validator had after a restart before this, knows none of it.
    const cold = new MandateDecisionEngine();
    expect(cold.decideAction(first, reg, T0 + 2000).verdict).toBe("approved");
  });

  it("writes what a batch changed in a session, not the whole session, however long it runs", () => {
    const reg = registration();
    const engine = new MandateDecisionEngine();
    const sessionBytes: number[] = [];
    for (let i = 0; i < 400; i += 1) {
      const at = T0 + i * 10;
      const proposed = action("lookup_order", at);
      const records = batchRecords(engine, () => {
        engine.decideAction(proposed, reg, at);
        engine.observeSession(
          { ...observation(proposed.action_id, at + 1), output: `order A-${i} for c${i}@example.org` },
          reg,
          at + 1,
        );
      });
      const bytes = records
        .filter((r) => ["s", "v", "x"].includes(String(r.key)[0] as string))
        .reduce((sum, r) => sum + ((r.value as Buffer | null)?.length ?? 0), 0);
      sessionBytes.push(bytes);
    }
    // The 400th action's session records weigh what the 10th's did (a whole session would be ~40 times more).
    expect(sessionBytes[399]).toBeLessThan(1.2 * (sessionBytes[9] as number));
    expect(engine.agentState("state-bot", T0).sessions[0]?.actions.length).toBe(400);
  });

  it("deletes a session's records when the bound evicts it, and restores what is left", () => {
    const engine = new MandateDecisionEngine({
      provenance: { maxSessions: 1, maxValuesPerSession: 2, maxActionsPerSession: 2 },
    });
    const reg = registration();
    const records = [];
    for (let i = 0; i < 3; i += 1) {
      const proposed = action("lookup_order", T0 + i, { session_id: "old" });
      records.push(
        ...batchRecords(engine, () => {
          engine.decideAction(proposed, reg, T0 + i);
          engine.observeSession(
            { ...observation(proposed.action_id, T0 + i), session_id: "old", output: `ref R-${i}` },
            reg,
            T0 + i,
          );
        }),
      );
    }
    // The value and action bounds (2 each) dropped the first of each: their records are deleted.
    expect(restoredFrom(records).agentState("state-bot", T0)).toEqual(engine.agentState("state-bot", T0));
    expect(engine.agentState("state-bot", T0).sessions[0]?.actions).toHaveLength(2);
    // A second session evicts the first (bound of 1): its header, values and actions are deleted.
    const evicting = batchRecords(engine, () =>
      engine.decideAction(action("lookup_order", T0 + 10, { session_id: "new" }), reg, T0 + 10),
    );
    const deleted = evicting.filter((r) => r.value === null).map((r) => parseStateKey(String(r.key))?.kind);
    expect(deleted.sort()).toEqual(["session", "session_action", "session_action", "session_value", "session_value"]);
    const restored = restoredFrom([...records, ...evicting]);
    expect(restored.agentState("state-bot", T0 + 10)).toEqual(engine.agentState("state-bot", T0 + 10));
    expect(restored.agentState("state-bot", T0 + 10).sessions.map((x) => x.sessionId)).toEqual(["new"]);
  });

  it("writes the agent's centroid as its float32 bytes, restored exactly, and reads the earlier decimal form", () => {
    const engine = new MandateDecisionEngine();
    engine.decideAction(action("lookup_order", T0), registration(), T0);
    engine.decideAction(action("refund_order", T0 + 1), registration(), T0 + 1);
    const record = engine.agentRecord("state-bot");
    expect(record.behaviour?.centroid.mean.length).toBeGreaterThan(0);
    const bytes = encodeAgentRecord(record);
    expect(decodeAgentRecord(bytes)).toEqual(record);
    const decimal = Buffer.from(JSON.stringify({ v: 1, behaviour: record.behaviour }));
    expect(decodeAgentRecord(decimal)).toEqual(record);
    expect(bytes.length).toBeLessThan(0.7 * decimal.length);
  });

  it("restores a session record of the earlier format, values and actions inline, and writes them anew", () => {
    const reg = registration();
    const engine = new MandateDecisionEngine();
    const first = action("lookup_order", T0);
    engine.decideAction(first, reg, T0);
    engine.observeSession(observation(first.action_id, T0 + 1), reg, T0 + 1);
    const [whole] = engine.agentState("state-bot", T0).sessions;
    const old = new CompactedState();
    // What the previous version wrote: the whole session in its one record.
    old.add(stateKey({ kind: "session", agentId: "state-bot", sessionId: "s-1" }), encodeSessionRecord(whole!), 0);
    const upgraded = new MandateDecisionEngine();
    old.applyTo(upgraded, () => undefined);
    expect(upgraded.agentState("state-bot", T0).sessions).toEqual([whole]);
    // The next batch writes each value and action as its own record, next to the header that no longer holds them.
    const next = action("lookup_order", T0 + 5);
    const records = batchRecords(upgraded, () => upgraded.decideAction(next, reg, T0 + 5));
    const restored = restoredFrom([
      {
        key: stateKey({ kind: "session", agentId: "state-bot", sessionId: "s-1" }),
        value: encodeSessionRecord(whole!),
      },
      ...records,
    ]);
    expect(restored.agentState("state-bot", T0 + 5).sessions).toEqual(
      upgraded.agentState("state-bot", T0 + 5).sessions,
    );
    expect(restored.agentState("state-bot", T0 + 5).sessions[0]?.actions).toHaveLength(2);
  });

  it("keeps each partition's next offset to decide, the latest written, apart from the agents' state", () => {
    const compacted = new CompactedState();
    for (const [partition, next] of [
      [0, 5],
      [3, 7],
      [0, 9],
    ] as const) {
      const record = changelog.offsetRecord(partition, next);
      expect(record.partition).toBe(partition);
      compacted.add(String(record.key), record.value as Buffer, partition);
    }
    const agents: string[] = [];
    expect(compacted.applyTo(new MandateDecisionEngine(), (agentId) => agents.push(agentId))).toEqual({ 0: 9, 3: 7 });
    expect(agents).toEqual([]);
  });

  it("forgets the agent when the changelog has nothing for it", () => {
    const reg = registration();
    const engine = new MandateDecisionEngine();
    const first = action("lookup_order", T0);
    engine.decideAction(first, reg, T0);
    engine.forgetAgent("state-bot");
    expect(engine.agentState("state-bot", T0)).toEqual({ behaviour: undefined, replay: undefined, sessions: [] });
  });

  it("names agent and session records apart, whatever the ids hold", () => {
    for (const key of [
      { kind: "agent" as const, agentId: "a:b" },
      { kind: "replay" as const, agentId: "a", nonce: "n-1" },
      { kind: "session" as const, agentId: "a", sessionId: "s\u0000with-separator" },
      { kind: "offset" as const, partition: 11 },
    ]) {
      expect(parseStateKey(stateKey(key))).toEqual(key);
    }
    expect(parseStateKey("state-bot")).toBeUndefined();
  });

  it("names the envelopes a batch admitted, and those the window forgot, for their records and tombstones", () => {
    const engine = new MandateDecisionEngine();
    const reg = registration();
    engine.takeExpiredReplays();
    const first = action("lookup_order", T0);
    const batch = engine.beginBatch();
    engine.decideAction(first, reg, T0);
    expect(engine.replayAdmissions).toEqual([
      { agentId: "state-bot", nonce: first.nonce, actionId: first.action_id, expiry: T0 + 120_000 },
    ]);
    engine.endBatch();
    engine.commitBatch(batch);
    expect(engine.replayAdmissions).toEqual([]);
    // Past twice the clock skew the first envelope is forgotten: its record is to be deleted.
    const later = T0 + 121_000;
    engine.decideAction(action("lookup_order", later), reg, later);
    expect(engine.takeExpiredReplays()).toEqual([{ agentId: "state-bot", nonce: first.nonce }]);
  });
});
