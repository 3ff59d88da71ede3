import { describe, expect, it } from "vitest";
import type { ProposedAction } from "@mandate/contracts";
import {
  DRIFT_REASON_CODES,
  type DriftAssessment,
  type DriftInput,
  InMemoryBehaviourStore,
} from "@mandate/validator/behaviour-drift/index";

const DIMS = 100;
const T0 = 1_767_780_000_000;

/** Deterministic noise, so every run sees the same vectors. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A unit vector pointing mostly along `axis`, with a little seeded noise elsewhere. */
function vectorAlong(axis: number, seed: number, noise = 0.15): Float32Array {
  const random = mulberry32(seed);
  const v = new Float32Array(DIMS);
  for (let d = 0; d < DIMS; d++) v[d] = (random() - 0.5) * noise;
  v[axis] = (v[axis] ?? 0) + 1;
  let norm = 0;
  for (const x of v) norm += x * x;
  const scale = 1 / Math.sqrt(norm);
  for (let d = 0; d < DIMS; d++) v[d] = (v[d] ?? 0) * scale;
  return v;
}

interface Step {
  agent?: string;
  tool?: string;
  destination?: string | null;
  values?: string[];
  vector?: Float32Array;
  at: number;
}

function input(step: Step): DriftInput {
  const action: ProposedAction = {
    action_id: `act-${step.at}`,
    agent_id: step.agent ?? "crm-agent",
    session_id: "sess-1",
    session_task: null,
    tool: step.tool ?? "crm.contacts",
    operation: "read",
    resource: null,
    destination: step.destination === undefined ? "https://api.crm.example.com/v2/contacts" : step.destination,
    arguments_json: "{}",
    intent: null,
    proposed_at: step.at,
    nonce: `n-${step.at}`,
    key_id: null,
    signature: null,
  };
  return {
    action,
    actionVector: step.vector ?? vectorAlong(0, step.at),
    intentValues: step.values ?? ["api.crm.example.com", "alice@example.com"],
    now: step.at,
    registeredTool: false,
  };
}

/** What the validator does: observe every proposal, assess it, and record it when approved. */
function propose(store: InMemoryBehaviourStore, step: Step, approved = true): DriftAssessment {
  const driftInput = input(step);
  const rate = store.observeProposal(driftInput.action.agent_id, driftInput.now);
  const assessment = store.assessDrift(driftInput, rate);
  if (approved) store.recordApproved(driftInput);
  return assessment;
}

const codes = (assessment: DriftAssessment): string[] => assessment.reasons.map((r) => r.code);

/** Twenty approved actions, one every 30 s, with two tools, one destination, a few recipients. */
function withBaseline(store = new InMemoryBehaviourStore()): InMemoryBehaviourStore {
  for (let i = 0; i < 20; i++) {
    propose(store, {
      at: T0 + i * 30_000,
      tool: i % 2 === 0 ? "crm.contacts" : "crm.notes",
      values: ["api.crm.example.com", ["alice@example.com", "bob@example.com", "carol@example.com"][i % 3]!],
      vector: vectorAlong(i % 2, i),
    });
  }
  return store;
}

const AFTER_BASELINE = T0 + 20 * 30_000;

describe("InMemoryBehaviourStore", () => {
  it("does not flag a new agent whose every action is new (cold start)", () => {
    const store = new InMemoryBehaviourStore();
    const tools = ["crm.contacts", "mail.send", "files.read", "calendar.create", "payments.transfer"];
    for (let i = 0; i < 19; i++) {
      const assessment = propose(store, {
        at: T0 + i * 1_000,
        tool: tools[i % tools.length],
        destination: `https://host-${i}.example.com/`,
        values: [`user${i}@example.com`],
        vector: vectorAlong(i, i),
      });
      expect(assessment.reasons).toEqual([]);
      expect(assessment.score).toBe(0);
    }
    expect(store.snapshot("crm-agent")?.approvedCount).toBe(19);
  });

  it("does not flag an agent it has never seen", () => {
    const store = new InMemoryBehaviourStore();
    const assessment = store.assessDrift(input({ at: T0 }), 1);
    expect(assessment).toEqual({ score: 0, reasons: [], ratePerMinute: 1 });
  });

  it("scores a repeat of approved behaviour 0", () => {
    const store = withBaseline();
    const assessment = propose(store, {
      at: AFTER_BASELINE,
      tool: "crm.notes",
      destination: "https://api.crm.example.com/v1/notes?page=2",
      values: ["api.crm.example.com", "bob@example.com"],
      vector: vectorAlong(1, 999),
    });
    expect(assessment.reasons).toEqual([]);
    expect(assessment.score).toBe(0);
  });

  it("flags a tool the agent has never been approved to use, once it has a baseline", () => {
    const store = withBaseline();
    const assessment = propose(store, { at: AFTER_BASELINE, tool: "payments.transfer" }, false);
    expect(codes(assessment)).toEqual([DRIFT_REASON_CODES.newTool]);
    expect(assessment.reasons[0]).toMatchObject({ axis: "drift", severity: "suspicious" });
    expect(assessment.reasons[0]?.message).toContain('"payments.transfer"');
    expect(assessment.score).toBeCloseTo(0.5, 10);
  });

  it("flags a new destination host but not a new path on a known host", () => {
    const store = withBaseline();
    const known = propose(store, { at: AFTER_BASELINE, destination: "https://API.crm.example.com:443/v9/other" });
    expect(known.reasons).toEqual([]);
    const unknown = propose(
      store,
      { at: AFTER_BASELINE + 1_000, destination: "https://paste.example.net/upload", values: ["paste.example.net"] },
      false,
    );
    // The destination is also an intent value; it is reported once, as a destination.
    expect(codes(unknown)).toEqual([DRIFT_REASON_CODES.newDestination]);
    expect(unknown.reasons[0]?.message).toContain('"paste.example.net"');
  });

  it("notes a new recipient as information with a low weight", () => {
    const store = withBaseline();
    const assessment = propose(
      store,
      { at: AFTER_BASELINE, values: ["api.crm.example.com", "mallory@evil.example", "alice@example.com"] },
      false,
    );
    expect(assessment.reasons).toEqual([
      expect.objectContaining({ code: DRIFT_REASON_CODES.newRecipient, severity: "info" }),
    ]);
    expect(assessment.reasons[0]?.message).toContain('"mallory@evil.example"');
    expect(assessment.score).toBeCloseTo(0.15, 10);
  });

  it("combines several signals as a noisy-OR that stays below 1", () => {
    const store = withBaseline();
    const assessment = propose(
      store,
      {
        at: AFTER_BASELINE,
        tool: "files.upload",
        destination: "https://paste.example.net/",
        values: ["mallory@evil.example"],
        vector: vectorAlong(50, 1),
      },
      false,
    );
    expect(codes(assessment)).toEqual([
      DRIFT_REASON_CODES.newTool,
      DRIFT_REASON_CODES.newDestination,
      DRIFT_REASON_CODES.newRecipient,
      DRIFT_REASON_CODES.farFromCentroid,
    ]);
    const withoutCentroid = 1 - (1 - 0.5) * (1 - 0.5) * (1 - 0.15);
    expect(assessment.score).toBeGreaterThan(withoutCentroid);
    expect(assessment.score).toBeLessThan(1);
  });

  it("flags an action far from the centroid of approved actions and not one near it", () => {
    const store = withBaseline();
    // The baseline points between axes 0 and 1; a mix of both is near, axis 7 is orthogonal.
    const near = propose(store, { at: AFTER_BASELINE, vector: vectorAlong(0, 12345, 0.4) }, false);
    expect(near.reasons).toEqual([]);
    const far = propose(store, { at: AFTER_BASELINE + 1_000, vector: vectorAlong(7, 1) }, false);
    expect(codes(far)).toEqual([DRIFT_REASON_CODES.farFromCentroid]);
    const distance = Number(/cosine distance ([\d.]+)/.exec(far.reasons[0]?.message ?? "")?.[1]);
    expect(distance).toBeGreaterThan(0.9);
    expect(far.score).toBeGreaterThan(0.35);
    expect(far.score).toBeLessThanOrEqual(0.4);
  });

  it("ignores an all-zero vector (an action without a known word has no direction)", () => {
    const store = withBaseline();
    const assessment = propose(store, { at: AFTER_BASELINE, vector: new Float32Array(DIMS) });
    expect(assessment.reasons).toEqual([]);
    expect(store.snapshot("crm-agent")?.centroid.samples).toBe(20);
  });

  it("starts the centroid over when the embedding's dimension changes", () => {
    const store = withBaseline();
    const other = new Float32Array(50);
    other[3] = 1;
    expect(propose(store, { at: AFTER_BASELINE, vector: other }).reasons).toEqual([]);
    expect(store.snapshot("crm-agent")?.centroid).toMatchObject({ samples: 1 });
  });

  it("remembers only what was approved", () => {
    const store = withBaseline();
    propose(store, { at: AFTER_BASELINE, tool: "payments.transfer", values: ["mallory@evil.example"] }, false);
    const again = propose(
      store,
      { at: AFTER_BASELINE + 1_000, tool: "payments.transfer", values: ["mallory@evil.example"] },
      false,
    );
    expect(codes(again)).toEqual([DRIFT_REASON_CODES.newTool, DRIFT_REASON_CODES.newRecipient]);
    expect(store.recentValues("crm-agent").has("mallory@evil.example")).toBe(false);
  });

  it("keeps the values of recent approved actions in recentValues, bounded to the most recent", () => {
    const store = new InMemoryBehaviourStore({}, { maxValues: 4 });
    propose(store, { at: T0, values: ["a@example.com", "b@example.com"] });
    expect([...store.recentValues("crm-agent")]).toEqual(["a@example.com", "b@example.com"]);
    propose(store, { at: T0 + 1, values: ["c@example.com", "d@example.com", "e@example.com"] });
    propose(store, { at: T0 + 2, values: ["b@example.com"] });
    // `a` was the least recently approved; `b` was used again and is now the most recent.
    expect([...store.recentValues("crm-agent")]).toEqual([
      "c@example.com",
      "d@example.com",
      "e@example.com",
      "b@example.com",
    ]);
    expect(store.recentValues("someone-else").size).toBe(0);
  });

  it("keeps other agents' behaviour apart", () => {
    const store = withBaseline();
    for (let i = 0; i < 20; i++) propose(store, { agent: "mail-agent", tool: "mail.send", at: T0 + i * 30_000 });
    expect(codes(propose(store, { at: AFTER_BASELINE, tool: "mail.send" }, false))).toEqual([
      DRIFT_REASON_CODES.newTool,
    ]);
    expect(codes(propose(store, { agent: "mail-agent", at: AFTER_BASELINE, tool: "crm.notes" }, false))).toEqual([
      DRIFT_REASON_CODES.newTool,
    ]);
  });

  it("drops the least recently active agent beyond maxAgents, which then starts cold", () => {
    const store = withBaseline(new InMemoryBehaviourStore({}, { maxAgents: 2 }));
    store.observeProposal("agent-b", AFTER_BASELINE);
    store.observeProposal("crm-agent", AFTER_BASELINE);
    store.observeProposal("agent-c", AFTER_BASELINE);
    expect(store.agentCount).toBe(2);
    expect(store.snapshot("agent-b")).toBeUndefined();
    expect(store.snapshot("crm-agent")?.approvedCount).toBe(20);
  });

  it("rejects invalid thresholds and limits, naming every problem", () => {
    expect(() => new InMemoryBehaviourStore({ farDistance: 1.5, spikeFactor: 0.5 }, {})).toThrow(
      /farDistance[\s\S]*spikeFactor|spikeFactor[\s\S]*farDistance/,
    );
    expect(() => new InMemoryBehaviourStore({}, { maxValues: 0 })).toThrow(/maxValues/);
  });
});

describe("determinism", () => {
  /** A seeded mix of agents, tools, hosts, recipients, bursts and pauses, some of it rejected. */
  function script(seed: number, length: number): Array<{ step: Step; approved: boolean }> {
    const random = mulberry32(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const steps: Array<{ step: Step; approved: boolean }> = [];
    let at = T0;
    for (let i = 0; i < length; i++) {
      at += random() < 0.05 ? 90_000 : Math.floor(random() * 4_000);
      steps.push({
        step: {
          at,
          agent: pick(["a", "b", "c"]),
          tool: pick(["crm.contacts", "crm.notes", "mail.send", "files.read", "payments.transfer"]),
          destination: pick([
            null,
            "https://api.crm.example.com/x",
            "https://mail.example.com",
            "https://x.example.net",
          ]),
          values: [
            pick(["alice@example.com", "bob@example.com", "zed@example.org"]),
            `/tmp/${Math.floor(random() * 9)}`,
          ],
          vector: vectorAlong(Math.floor(random() * 4), i),
        },
        approved: random() < 0.8,
      });
    }
    return steps;
  }

  it("gives the same assessments and state for the same inputs", () => {
    const steps = script(42, 3_000);
    const run = (): { assessments: DriftAssessment[]; store: InMemoryBehaviourStore } => {
      const store = new InMemoryBehaviourStore();
      const assessments = steps.map(({ step, approved }) => propose(store, step, approved));
      return { assessments, store };
    };
    const first = run();
    const second = run();
    expect(second.assessments).toEqual(first.assessments);
    expect(first.assessments.some((a) => a.reasons.length > 0)).toBe(true);
    for (const agent of ["a", "b", "c"]) expect(second.store.snapshot(agent)).toEqual(first.store.snapshot(agent));
  });

  it("continues from a restored snapshot exactly as the original store does", () => {
    const steps = script(7, 2_000);
    const original = new InMemoryBehaviourStore();
    steps.slice(0, 1_000).forEach(({ step, approved }) => propose(original, step, approved));
    const restored = new InMemoryBehaviourStore();
    for (const agent of ["a", "b", "c"]) {
      // Through JSON, as a changelog topic would carry it.
      restored.restore(JSON.parse(JSON.stringify(original.snapshot(agent))));
    }
    const rest = steps.slice(1_000);
    expect(rest.map(({ step, approved }) => propose(restored, step, approved))).toEqual(
      rest.map(({ step, approved }) => propose(original, step, approved)),
    );
  });
});
