import crypto from "node:crypto";
import { execFile } from "node:child_process";
import path from "node:path";
import { Kafka, logLevel, type Admin, type KafkaMessage } from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deadLetterMessage, headerText } from "@mandate/sdk/kafka/dead-letter";
import { ensureTopics } from "@mandate/common/topics";
import { isolatedTopics, type TopicNames } from "@mandate/contracts";
import { readTopic } from "../support/topic-reader.js";
import { sharedStack } from "../support/shared-stack.js";
import { topicsToEnv } from "@mandate/common/service-config";
import type { LetterSummary } from "@mandate/cli/dlq-command";

const repoRoot = path.resolve(import.meta.dirname, "../..");
const REPLAYED_FROM_HEADER = "mandate-replayed-from";

/**
 * `mandate dlq list|replay` run as a process against dead letters written the way the validator
 * (in transactions) and the sink (plain sends) write them.
 */
describe("mandate dlq", () => {
  const stack = sharedStack("server");
  const topics = isolatedTopics("dlqcli");
  const emptyTopics = isolatedTopics("dlqcli-empty");
  const kafka = new Kafka({ brokers: stack.kafkaBrokers, logLevel: logLevel.NOTHING });
  let admin: Admin;

  /** Payloads carry a marker that must never appear in what the CLI prints. */
  const SECRET = `sk-live-${crypto.randomUUID()}`;
  const oversized = Buffer.concat([Buffer.from([0, 0, 0, 0, 1]), Buffer.from(`${SECRET} ${"x".repeat(4000)}`)]);
  const letters = {
    sink: {
      original: { key: null, value: Buffer.from(`decision bytes with ${SECRET}`) },
      source: { topic: topics.decisions, partition: 0, offset: "3" },
      cause: { step: "sink.decode", reason: "invalid_record", detail: "decision has no action" },
    },
    aborted: {
      original: { key: Buffer.from("bot-x"), value: Buffer.from(`aborted ${SECRET}`) },
      source: { topic: topics.actions, partition: 0, offset: "5" },
      cause: { step: "validator.intake", reason: "not_avro", detail: "never committed" },
    },
    notAvro: {
      original: { key: Buffer.from("bot-a"), value: Buffer.from(`{"api_key": "${SECRET}"}`) },
      source: { topic: topics.actions, partition: 0, offset: "7" },
      cause: { step: "validator.intake", reason: "not_avro", detail: "magic byte is 123, not 0" },
    },
    tooLarge: {
      original: { key: Buffer.from("bot-b"), value: oversized, headers: { "mandate-action-id": "act-too-large" } },
      source: { topic: topics.actions, partition: 0, offset: "8" },
      cause: {
        step: "validator.intake",
        reason: "too_large",
        detail: `action message is ${oversized.length} bytes; the limit is 4000`,
      },
    },
  };
  const writtenAt = Date.UTC(2026, 2, 1, 12, 0, 0);
  // Offsets on the dead-letter topic: sink letter 0; aborted letter 1 and its marker 2; letters 3, 4 and a commit marker 5.
  const offsets = { sink: 0, aborted: 1, notAvro: 3, tooLarge: 4 };

  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, topics, { actionPartitions: 1 });
    await ensureTopics(admin, emptyTopics, { actionPartitions: 1 });

    // The sink dead-letters with a plain idempotent send.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const { sink, aborted, notAvro, tooLarge } = letters;
    await producer.send({
      topic: topics.deadLetters,
      acks: -1,
      messages: [deadLetterMessage(sink.original, sink.source, sink.cause, writtenAt)],
    });
    await producer.disconnect();

    // The validator dead-letters inside its transaction; one aborted, one committed, so the topic ends in a marker.
    const transactional = kafka.producer({
      transactionalId: `dlq-test-${crypto.randomUUID()}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await transactional.connect();
    const abortedTx = await transactional.transaction();
    await abortedTx.send({
      topic: topics.deadLetters,
      messages: [deadLetterMessage(aborted.original, aborted.source, aborted.cause, writtenAt + 1)],
    });
    await abortedTx.abort();
    const committedTx = await transactional.transaction();
    await committedTx.send({
      topic: topics.deadLetters,
      messages: [
        deadLetterMessage(notAvro.original, notAvro.source, notAvro.cause, writtenAt + 2),
        deadLetterMessage(tooLarge.original, tooLarge.source, tooLarge.cause, writtenAt + 3),
      ],
    });
    await committedTx.commit();
    await transactional.disconnect();
  });

  afterAll(async () => {
    await admin?.disconnect();
  });

  function runCli(args: string[], topicNames: TopicNames = topics) {
    const topicEnv = topicsToEnv(topicNames);
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        ["--import", "@mandate/common/loader", "services/cli/src/main.ts", "dlq", ...args],
        {
          cwd: repoRoot,
          timeout: 90_000,
          env: {
            ...process.env,
            ...topicEnv,
            MANDATE_KAFKA_BROKERS: stack.kafkaBrokers.join(","),
            MANDATE_SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
          },
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  const jsonLines = (stdout: string) =>
    stdout
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LetterSummary);

  /** How many messages the source topics hold: replay publishes there, so this is what it did. */
  async function sourceEnds(): Promise<{ actions: number; decisions: number }> {
    const end = async (topic: string) =>
      (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
    return { actions: await end(topics.actions), decisions: await end(topics.decisions) };
  }

  it("lists every committed letter, with where it came from and why, and never its bytes", async () => {
    const { code, stdout, stderr } = await runCli(["list", "--format", "json"]);
    expect(code, stderr).toBe(0);
    expect(stdout + stderr).not.toContain(SECRET);
    // The last committed letter is followed by the transaction's commit marker: reading must still end.
    expect((await admin.fetchTopicOffsets(topics.deadLetters))[0]?.high).toBe(String(offsets.tooLarge + 2));
    const listed = jsonLines(stdout);
    expect(listed.map((l) => l.offset)).toEqual([offsets.sink, offsets.notAvro, offsets.tooLarge]);

    const { sink, notAvro, tooLarge } = letters;
    const expected = [
      [offsets.sink, sink, writtenAt],
      [offsets.notAvro, notAvro, writtenAt + 2],
      [offsets.tooLarge, tooLarge, writtenAt + 3],
    ] as const;
    for (const [offset, letter, at] of expected) {
      expect(listed.find((l) => l.offset === offset)).toEqual({
        partition: 0,
        offset,
        time: new Date(at).toISOString(),
        step: letter.cause.step,
        reason: letter.cause.reason,
        source_topic: letter.source.topic,
        source_partition: letter.source.partition,
        source_offset: Number(letter.source.offset),
        key: letter.original.key?.toString() ?? null,
        size: letter.original.value.length,
        detail: letter.cause.detail,
      });
    }
  });

  it("filters by reason and step, keeps the newest under --limit, and prints a table", async () => {
    const byReason = await runCli(["list", "--reason", "not_avro", "--format", "json"]);
    expect(jsonLines(byReason.stdout).map((l) => l.offset)).toEqual([offsets.notAvro]);

    const byStep = await runCli(["list", "--step", "sink.decode", "--format", "json"]);
    expect(jsonLines(byStep.stdout).map((l) => l.offset)).toEqual([offsets.sink]);

    const table = await runCli(["list", "--limit", "2"]);
    expect(table.code).toBe(0);
    expect(table.stdout).not.toContain(SECRET);
    const lines = table.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^partition\s+offset\s+time\s+step\s+reason\s+source\s+key\s+size\s+detail$/);
    expect(lines.slice(2, 4).map((l) => l.trim().split(/\s+/)[1])).toEqual([
      String(offsets.notAvro),
      String(offsets.tooLarge),
    ]);
    expect(table.stdout).toContain(`${topics.actions}:0:8`);
    expect(table.stdout).toContain("(the newest 2 of 3; --limit 0 shows all)");
  });

  it("terminates on an empty dead-letter topic", async () => {
    const { code, stdout } = await runCli(["list", "--format", "json"], emptyTopics);
    expect(code).toBe(0);
    expect(stdout).toBe("");
  });

  it("refuses a permanent cause without --force and publishes nothing", async () => {
    const { code, stdout, stderr } = await runCli(["replay", String(offsets.notAvro)]);
    expect(code).toBe(1);
    expect(stderr).toContain(
      `warning: ${topics.deadLetters}:0:${offsets.notAvro} (not_avro) would be dead-lettered again`,
    );
    expect(stdout).toContain("0 letters replayed");
    expect(await sourceEnds()).toEqual({ actions: 0, decisions: 0 });
  });

  it("says what --dry-run would replay and publishes nothing", async () => {
    const { code, stdout } = await runCli(["replay", "--reason", "too_large", "--dry-run", "--force"]);
    expect(code).toBe(0);
    expect(stdout).toContain(`would replay ${topics.deadLetters}:0:${offsets.tooLarge} → ${topics.actions}`);
    expect(stdout).toContain("1 letter would be replayed (dry run: nothing published)");
    expect(stdout).not.toContain(SECRET);
    expect(await sourceEnds()).toEqual({ actions: 0, decisions: 0 });
  });

  it("names no letter where a transaction was aborted", async () => {
    const { code, stderr } = await runCli(["replay", String(offsets.aborted), "--force"]);
    expect(code).toBe(2);
    expect(stderr).toContain(`no dead letter at ${offsets.aborted}`);
    expect(await sourceEnds()).toEqual({ actions: 0, decisions: 0 });
  });

  it("replays a letter by offset: the original key and bytes arrive on the source topic, marked", async () => {
    const { code, stdout } = await runCli(["replay", String(offsets.tooLarge), "--force"]);
    expect(code).toBe(0);
    expect(stdout).toContain(`replayed ${topics.deadLetters}:0:${offsets.tooLarge} → ${topics.actions}`);
    expect(stdout).toContain("1 letter replayed");
    // The command has exited after acks = -1: what it published is already there, and nothing else.
    expect(await sourceEnds()).toEqual({ actions: 1, decisions: 0 });

    const [replayed] = await readTopic(stack.kafkaBrokers, topics.actions, (m: KafkaMessage[]) => m.length >= 1);
    expect(replayed!.key!.equals(letters.tooLarge.original.key)).toBe(true);
    expect(replayed!.value!.equals(letters.tooLarge.original.value)).toBe(true);
    expect(headerText(replayed!.headers, REPLAYED_FROM_HEADER)).toBe(`${topics.deadLetters}:0:${offsets.tooLarge}`);
    // The dead-letter headers describe the letter, not the message: they are not replayed; the
    // message's own headers are.
    expect(Object.keys(replayed!.headers ?? {}).sort()).toEqual(["mandate-action-id", REPLAYED_FROM_HEADER]);
    expect(headerText(replayed!.headers, "mandate-action-id")).toBe("act-too-large");
  });

  it("replays every letter with a reason and step to its own source topic", async () => {
    const { code, stdout } = await runCli(["replay", "--reason", "invalid_record", "--step", "sink.decode", "--force"]);
    expect(code).toBe(0);
    expect(stdout).toContain(`replayed ${topics.deadLetters}:0:${offsets.sink} → ${topics.decisions}`);
    expect(stdout).toContain("1 letter replayed");
    expect(await sourceEnds()).toEqual({ actions: 1, decisions: 1 });

    const [replayed] = await readTopic(stack.kafkaBrokers, topics.decisions, (m: KafkaMessage[]) => m.length >= 1);
    expect(replayed!.key).toBeNull();
    expect(replayed!.value!.equals(letters.sink.original.value)).toBe(true);
    expect(headerText(replayed!.headers, REPLAYED_FROM_HEADER)).toBe(`${topics.deadLetters}:0:${offsets.sink}`);
  });
});
