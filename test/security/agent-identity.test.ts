import crypto from "node:crypto";
import { Kafka, logLevel, type Consumer, type Producer } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPipeline, type RunningPipeline } from "../../infra/src/pipeline.js";
import { waitUntil } from "../../infra/src/wait-until.js";
import {
  ACTION_ID_HEADER,
  type ProposedAction,
  type DecisionRecord,
  openContracts,
  type MandateContracts,
  isolatedTopics,
  actionSigner,
  signAction,
  type SigningKey,
} from "@mandate/contracts";
import { GovernancePublisher, MandateAgent } from "@mandate/sdk";
import { agentKey } from "../support/agent-keys.js";
import { testRegistration } from "../support/registrations.js";
import { isolatedDatabase, sharedStack } from "../support/shared-stack.js";

/**
 * Workload identity through the real pipeline: the validator accepts an action only when it is
 * signed by a key registered for its agent and valid now, fresh, and not seen before. Each way of
 * failing is rejected with its own reason code.
 */
describe("agent identity", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("identity");
  const database = isolatedDatabase("identity");
  const connection = { kafkaBrokers: stack.kafkaBrokers, schemaRegistryUrl: stack.schemaRegistryUrl, topics };
  const started = Date.now();
  const minute = 60_000;
  // Rotation: the outgoing key is valid for another hour, the incoming one since a minute ago.
  const outgoing = agentKey("alice-2026", { notAfter: started + 60 * minute });
  const incoming = agentKey("alice-2027", { notBefore: started - minute });
  const expired = agentKey("alice-2025", { notAfter: started - minute });
  const notYet = agentKey("alice-2028", { notBefore: started + 60 * minute });
  const mallory = agentKey("mallory-1");
  const decisions: DecisionRecord[] = [];
  const agents: MandateAgent[] = [];
  let pipeline: RunningPipeline;
  let contracts: MandateContracts;
  let producer: Producer;
  let decisionLog: Consumer;

  beforeAll(async () => {
    pipeline = await startPipeline(stack, { topics, database, logLevel: "silent" });
    contracts = await openContracts(stack, topics);
    const publisher = await GovernancePublisher.connect(connection);
    await publisher.publish({
      ...testRegistration("alice"),
      keys: [outgoing.registered, incoming.registered, expired.registered, notYet.registered],
    });
    await publisher.publish({ ...testRegistration("mallory"), keys: [mallory.registered] });
    await publisher.publish(testRegistration("dev-bot"));
    await publisher.close();
    await waitUntil("registrations", async () =>
      ["alice", "mallory", "dev-bot"].every((id) => pipeline.validators[0]?.registrationVersion(id) === 1),
    );

    const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
    producer = kafka.producer();
    await producer.connect();
    decisionLog = kafka.consumer({ groupId: `identity-log-${crypto.randomUUID()}` });
    await decisionLog.connect();
    await decisionLog.subscribe({ topic: topics.decisions, fromBeginning: true });
    await decisionLog.run({
      eachMessage: async ({ message }) => void decisions.push(await contracts.decision.decode(message.value)),
    });
  });

  afterAll(async () => {
    await Promise.all(agents.map((a) => a.close()));
    await decisionLog?.disconnect();
    await producer?.disconnect();
    await pipeline?.stop();
  });

  async function agentSigningWith(signingKey: SigningKey | undefined, agentId = "alice"): Promise<MandateAgent> {
    const agent = await MandateAgent.connect({
      ...connection,
      agentId,
      signingKey,
      sessionTask: "Where is order A-1?",
    });
    agents.push(agent);
    return agent;
  }

  const lookup = { tool: "lookup_order", operation: "read", arguments: { order_id: "A-1" } };
  const codes = (d: DecisionRecord) => d.reasons.map((r) => r.code);

  /** What an attacker with write access to the action topic sends: any bytes, under any key. */
  async function sendRaw(action: ProposedAction): Promise<void> {
    await producer.send({
      topic: topics.actions,
      acks: -1,
      messages: [
        {
          key: action.agent_id,
          value: contracts.action.encode(action),
          headers: { [ACTION_ID_HEADER]: action.action_id },
        },
      ],
    });
  }

  async function decisionsFor(actionId: string, count: number): Promise<DecisionRecord[]> {
    const of = () => decisions.filter((d) => d.action.action_id === actionId);
    await waitUntil(`${count} decisions for ${actionId}`, async () => of().length >= count);
    return of();
  }

  function freshAction(overrides: Partial<ProposedAction> = {}): ProposedAction {
    return {
      action_id: crypto.randomUUID(),
      agent_id: "alice",
      session_id: "raw",
      session_task: "Where is order A-1?",
      tool: "lookup_order",
      operation: "read",
      resource: null,
      destination: null,
      arguments_json: JSON.stringify({ order_id: "A-1" }),
      intent: null,
      proposed_at: Date.now(),
      nonce: crypto.randomBytes(16).toString("hex"),
      key_id: null,
      signature: null,
      ...overrides,
    };
  }

  it("a registration holding a private key where its public key belongs is refused before anything is published", async () => {
    const { privateKey } = crypto.generateKeyPairSync("ed25519");
    const privatePem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const publisher = await GovernancePublisher.connect(connection);
    try {
      await expect(
        publisher.publish({
          ...testRegistration("leaky-bot"),
          keys: [{ key_id: "leaky-1", public_key: privatePem, not_before: null, not_after: null }],
        }),
      ).rejects.toThrow(/key leaky-1 is not an Ed25519 public key/);
    } finally {
      await publisher.close();
    }
    // The registry holds the three registrations published before, and nothing else.
    const admin = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topics.registry);
    await admin.disconnect();
    expect(offsets.reduce((n, { high }) => n + Number(high), 0)).toBe(3);
  });

  it("key rotation: both keys valid now are accepted; an expired or not-yet-valid key is rejected", async () => {
    for (const key of [outgoing, incoming]) {
      const decision = await (await agentSigningWith(key.signingKey)).propose(lookup);
      expect(decision.verdict, key.registered.key_id).toBe("approved");
      expect(decision.action.key_id).toBe(key.registered.key_id);
      expect(decision.scores.identity).toBe(1);
    }
    const late = await (await agentSigningWith(expired.signingKey)).propose(lookup);
    expect(late.verdict).toBe("rejected");
    expect(codes(late)).toEqual(["identity.key_expired"]);
    const early = await (await agentSigningWith(notYet.signingKey)).propose(lookup);
    expect(codes(early)).toEqual(["identity.key_not_yet_valid"]);
  });

  it("an agent impersonated with someone else's key, a forged signature or none is rejected", async () => {
    // Mallory signs as alice with her own, registered (to mallory) key.
    const impersonated = await (await agentSigningWith(mallory.signingKey)).propose(lookup);
    expect(impersonated.verdict).toBe("rejected");
    expect(codes(impersonated)).toEqual(["identity.unknown_key"]);
    // Mallory claims alice's key id but cannot produce alice's signature.
    const forged = await (await agentSigningWith({ ...mallory.signingKey, keyId: "alice-2026" })).propose(lookup);
    expect(codes(forged)).toEqual(["identity.bad_signature"]);
    const unsigned = await (await agentSigningWith(undefined)).propose(lookup);
    expect(codes(unsigned)).toEqual(["identity.signature_missing"]);
    // Mallory's own key does work for mallory: the key is fine, the identity was not.
    expect((await (await agentSigningWith(mallory.signingKey, "mallory")).propose(lookup)).verdict).toBe("approved");
  });

  it("a replayed action — the same envelope again, or the same action id with a new nonce — is rejected", async () => {
    const agent = await agentSigningWith(outgoing.signingKey);
    const original = await agent.propose(lookup);
    expect(original.verdict).toBe("approved");

    // An attacker who saw the signed envelope on the topic sends it again, byte for byte.
    await sendRaw(original.action);
    const [, replayed] = await decisionsFor(original.action.action_id, 2);
    expect(replayed!.verdict).toBe("rejected");
    expect(codes(replayed!)).toEqual(["identity.replayed_nonce"]);

    // Re-proposing the same action id (with a new nonce and signature) gets no second decision either.
    const again = await agent.propose({ ...lookup, actionId: original.action.action_id });
    expect(again.verdict).toBe("rejected");
    expect(codes(again)).toEqual(["identity.replayed_action_id"]);
  });

  it("a stale or future timestamp is rejected, even when the signature is genuine", async () => {
    const signer = actionSigner(outgoing.signingKey);
    const stale = signAction(freshAction({ proposed_at: Date.now() - 5 * minute }), signer);
    const future = signAction(freshAction({ proposed_at: Date.now() + 5 * minute }), signer);
    await sendRaw(stale);
    await sendRaw(future);
    expect(codes((await decisionsFor(stale.action_id, 1))[0]!)).toEqual(["identity.stale_timestamp"]);
    expect(codes((await decisionsFor(future.action_id, 1))[0]!)).toEqual(["identity.future_timestamp"]);
    // The same envelope, freshly dated and signed, passes.
    const fresh = signAction(freshAction(), signer);
    await sendRaw(fresh);
    expect((await decisionsFor(fresh.action_id, 1))[0]!.verdict).toBe("approved");
  });

  it("a registration without keys is development mode: unsigned actions pass, marked as unverified", async () => {
    const decision = await (await agentSigningWith(undefined, "dev-bot")).propose(lookup);
    expect(decision.verdict).toBe("approved");
    expect(decision.reasons.find((r) => r.axis === "identity")).toMatchObject({
      code: "identity.unsigned_agent",
      severity: "info",
    });
  });
});
