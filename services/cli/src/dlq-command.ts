import crypto from "node:crypto";
import { Partitioners, type IHeaders, type Kafka, type KafkaMessage, type Producer } from "kafkajs";
import { pino } from "pino";
import { DEAD_LETTER_HEADERS, headerText } from "@mandate/sdk/kafka/dead-letter";
import type { UndecodableMessageError } from "@mandate/contracts";
import { CLI_GROUP_PREFIX } from "@mandate/sdk/kafka/consumer-groups";
import { createKafka } from "@mandate/sdk/kafka/kafka-client";
import { createLogger } from "@mandate/common/logger";
import { sendByPartition, topicPartitionCounts } from "@mandate/common/partition-sends";
import { cliConfigFromEnv } from "./cli-config.js";
import { formatResult } from "./trail-command.js";
import { parseFlags, parseSubcommand } from "./cli-flags.js";
import { UsageError } from "./usage-error.js";

const FORMATS = ["table", "json"] as const;
type ListFormat = (typeof FORMATS)[number];

const DEFAULT_LIMIT = 100;

const DEAD_LETTER_HEADER_SET: ReadonlySet<string> = new Set(DEAD_LETTER_HEADERS);

/** On every replayed message: `<dead-letter topic>:<partition>:<offset>` of the letter it came from. */
const REPLAYED_FROM_HEADER = "mandate-replayed-from";

/**
 * Causes that lie in the bytes themselves: replayed unchanged, such a letter is dead-lettered again.
 * Keyed by the decoders' reason codes, so a new code fails to compile until it is classified here.
 */
const PERMANENT_CAUSES: Record<UndecodableMessageError["reason"], string> = {
  not_avro: "the bytes are not Confluent-framed Avro",
  unknown_schema_id: "the registry does not know its schema id (register the schema first)",
  too_large: "it is over the size limit (raise MANDATE_MAX_ACTION_BYTES first)",
  invalid_record: "the record lacks required fields",
};

/** A fresh group that has made no progress for this long is stuck (broker gone, topic unreadable), not slow. */
const STALL_TIMEOUT_MS = 30_000;

function usage(): string {
  return `usage: mandate dlq list [--limit N] [--reason R] [--step S] [--format table|json]
       mandate dlq replay <offset>… [--dry-run] [--force]
       mandate dlq replay --reason R [--step S] [--dry-run] [--force]

list    the dead letters (the newest N, default ${DEFAULT_LIMIT}; --limit 0 for all): where each came from,
        why, its key and size. Never the payload bytes: they may hold secrets.
replay  re-publishes each letter's original key and bytes to its source topic, with a
        ${REPLAYED_FROM_HEADER} header. <offset> is [<partition>:]<offset> on the dead-letter topic.
        Letters whose cause is permanent (${Object.keys(PERMANENT_CAUSES).join(", ")}) would only be
        dead-lettered again: they are skipped with a warning unless --force.
        Replaying twice publishes twice; nothing marks a letter as replayed.

The dead-letter topic is MANDATE_TOPIC_DEAD_LETTERS (default mandate.dead-letters.v1);
Kafka is MANDATE_KAFKA_BROKERS.`;
}

type Request =
  | { kind: "list"; limit: number; reason?: string; step?: string; format: ListFormat }
  | { kind: "replay"; letters: LetterRef[]; reason?: string; step?: string; dryRun: boolean; force: boolean };

/** A letter named on the command line; a bare offset leaves the partition to the topic's layout. */
interface LetterRef {
  partition: number | undefined;
  offset: number;
  text: string;
}

/** A letter as read from the dead-letter topic. */
interface DeadLetter {
  partition: number;
  message: KafkaMessage;
}

/** `mandate dlq list|replay`: inspect the dead-letter topic and put letters back on their source topics. */
export async function dlqCommand(args: string[]): Promise<void> {
  const request = parseArguments(args);
  const connection = cliConfigFromEnv().connection;
  // NOTE: stdout carries the listing (scripts parse --format json), so the client's warnings go to stderr.
  const logger = createLogger("mandate-cli", "warn", pino.destination(2));
  const kafka = createKafka(connection, "mandate-cli", logger);
  const topic = connection.topics.deadLetters;
  if (request.kind === "list") await listDeadLetters(kafka, topic, request);
  else await replayDeadLetters(kafka, topic, request);
}

function parseArguments(args: string[]): Request {
  const [sub, rest] = parseSubcommand("dlq", args, ["list", "replay"], usage());
  if (sub === "list") {
    const flags = parseFlags(rest, { reason: "value", step: "value", limit: "value", format: "value" }, usage());
    if (flags.positional.length > 0)
      throw new UsageError(`dlq list takes no argument ${flags.positional[0]}\n\n${usage()}`);
    const limit = flags.value("limit") ?? String(DEFAULT_LIMIT);
    if (!/^\d+$/.test(limit)) throw new UsageError(`--limit takes a whole number (0 for all), got ${limit}`);
    const [reason, step] = [flags.value("reason"), flags.value("step")];
    return { kind: "list", limit: Number(limit), reason, step, format: flags.choice("format", FORMATS) };
  }
  const flags = parseFlags(rest, { reason: "value", step: "value", "dry-run": "switch", force: "switch" }, usage());
  const [reason, step] = [flags.value("reason"), flags.value("step")];
  const letters = flags.positional.map(parseLetterRef);
  if (letters.length > 0 && (reason !== undefined || step !== undefined)) {
    throw new UsageError("replay takes offsets or --reason [--step], not both");
  }
  if (letters.length === 0 && reason === undefined) {
    throw new UsageError(`replay needs the offsets of the letters, or --reason\n\n${usage()}`);
  }
  return { kind: "replay", letters, reason, step, dryRun: flags.has("dry-run"), force: flags.has("force") };
}

function parseLetterRef(text: string): LetterRef {
  const match = /^(?:(\d+):)?(\d+)$/.exec(text);
  if (!match) throw new UsageError(`not an offset: ${text} (expected <offset> or <partition>:<offset>)`);
  return { partition: match[1] === undefined ? undefined : Number(match[1]), offset: Number(match[2]), text };
}

// ---------------------------------------------------------------------------------------------
// Reading the dead-letter topic to its end

interface PartitionRange {
  low: number;
  end: number;
}

/**
 * The offsets to read up to, taken once before reading, so the command terminates even while
 * consumers keep dead-lettering. kafkajs asks for them read-committed, so `end` is the last stable
 * offset: a validator transaction still open is not waited for.
 */
async function deadLetterRanges(kafka: Kafka, topic: string): Promise<Map<number, PartitionRange>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      throw new Error(`the dead-letter topic ${topic} does not exist (MANDATE_TOPIC_DEAD_LETTERS)`);
    }
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((p) => [p.partition, { low: Number(p.low), end: Number(p.high) }]));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads every committed letter below `ranges` from the beginning, in a private consumer group that
 * never commits, and hands each fetched batch to `take` (awaited, so a slow `take` slows the fetching).
 * A letter may be handed over twice if the group rebalances; callers de-duplicate by position.
 */
async function readDeadLetters(
  kafka: Kafka,
  topic: string,
  ranges: Map<number, PartitionRange>,
  take: (letters: DeadLetter[]) => Promise<void> | void,
): Promise<void> {
  const remaining = new Set([...ranges].filter(([, r]) => r.end > r.low).map(([partition]) => partition));
  if (remaining.size === 0) return;

  const consumer = kafka.consumer({ groupId: `${CLI_GROUP_PREFIX}dlq-${crypto.randomUUID()}` });
  let lastProgress = Date.now();
  let stallTimer: NodeJS.Timeout | undefined;
  const caughtUp = new Promise<void>((resolve, reject) => {
    // NOTE: the validator writes letters in transactions, so a partition may end in a commit marker
    // that eachBatch never sees. kafkajs reports batches of markers only through this event, whose
    // lastOffset counts them; that is what tells us the partition is read to its end.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      lastProgress = Date.now();
      const range = ranges.get(payload.partition);
      if (payload.topic !== topic || !range || Number(payload.lastOffset) + 1 < range.end) return;
      remaining.delete(payload.partition);
      if (remaining.size === 0) resolve();
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      lastProgress = Date.now();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => reject(payload.error));
    stallTimer = setInterval(() => {
      if (Date.now() - lastProgress < STALL_TIMEOUT_MS) return;
      const left = [...remaining].map((p) => `partition ${p} (end ${ranges.get(p)?.end})`).join(", ");
      reject(new Error(`reading ${topic} made no progress for ${STALL_TIMEOUT_MS / 1000} s; unread: ${left}`));
    }, 1000);
  });
  // Handled below; this only keeps a failure while still connecting from counting as unhandled.
  caughtUp.catch(() => undefined);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const end = ranges.get(batch.partition)?.end ?? 0;
        const letters = batch.messages
          .filter((m) => Number(m.offset) < end)
          .map((message) => ({ partition: batch.partition, message }));
        if (letters.length > 0) await take(letters);
      },
    });
    await caughtUp;
  } finally {
    clearInterval(stallTimer);
    await consumer.disconnect();
  }
}

const letterId = (letter: { partition: number; message: { offset: string } }) =>
  `${letter.partition}:${letter.message.offset}`;

// ---------------------------------------------------------------------------------------------
// list

/** A type, not an interface: rows for the shared formatter are plain records. */
export type LetterSummary = {
  partition: number;
  offset: number;
  time: string;
  step: string | null;
  reason: string | null;
  source_topic: string | null;
  source_partition: number | null;
  source_offset: number | null;
  key: string | null;
  size: number;
  detail: string | null;
};

/** Prints what each letter is, where it came from and why; never its value (it may hold secrets). */
async function listDeadLetters(
  kafka: Kafka,
  topic: string,
  request: Extract<Request, { kind: "list" }>,
): Promise<void> {
  const ranges = await deadLetterRanges(kafka, topic);
  const seen = new Map<string, LetterSummary>();
  await readDeadLetters(kafka, topic, ranges, (letters) => {
    for (const letter of letters) {
      const summary = summarise(letter);
      if (request.reason !== undefined && summary.reason !== request.reason) continue;
      if (request.step !== undefined && summary.step !== request.step) continue;
      seen.set(letterId(letter), summary);
    }
  });
  const matching = [...seen.values()].sort(
    (a, b) => a.time.localeCompare(b.time) || a.partition - b.partition || a.offset - b.offset,
  );
  const shown = request.limit > 0 ? matching.slice(-request.limit) : matching;

  if (request.format === "json") {
    process.stdout.write(formatResult({ columns: [], rows: shown }, "json"));
    return;
  }
  // Column types in the trail's vocabulary: the shared table formatter right-aligns the numeric ones.
  const columns = [
    { name: "partition", type: "UInt32" },
    { name: "offset", type: "UInt64" },
    { name: "time", type: "String" },
    { name: "step", type: "String" },
    { name: "reason", type: "String" },
    { name: "source", type: "String" },
    { name: "key", type: "String" },
    { name: "size", type: "UInt64" },
    { name: "detail", type: "String" },
  ];
  const rows = shown.map((s) => ({
    ...s,
    source: s.source_topic === null ? null : `${s.source_topic}:${s.source_partition}:${s.source_offset}`,
  }));
  process.stdout.write(formatResult({ columns, rows }, "table"));
  if (shown.length < matching.length) {
    process.stdout.write(`(the newest ${shown.length} of ${matching.length}; --limit 0 shows all)\n`);
  }
}

function summarise({ partition, message }: DeadLetter): LetterSummary {
  const header = (name: string) => headerText(message.headers, name) ?? null;
  const numberHeader = (name: string) => {
    const text = header(name);
    return text === null || !/^\d+$/.test(text) ? null : Number(text);
  };
  // The timestamp header is when the letter was written; the record's own timestamp stands in if it is unreadable.
  const written = new Date(numberHeader("timestamp") ?? Number.NaN);
  const time = Number.isNaN(written.getTime()) ? new Date(Number(message.timestamp)) : written;
  return {
    partition,
    offset: Number(message.offset),
    time: time.toISOString(),
    step: header("step"),
    reason: header("reason"),
    source_topic: header("source-topic"),
    source_partition: numberHeader("source-partition"),
    source_offset: numberHeader("source-offset"),
    key: keyText(message.key),
    size: message.value?.length ?? 0,
    detail: header("detail"),
  };
}

/** Keys are agent ids in practice; anything that is not printable UTF-8 is shown as hex rather than garbling a terminal. */
function keyText(key: Buffer | null): string | null {
  if (key === null) return null;
  const text = key.toString("utf8");
  return Buffer.from(text, "utf8").equals(key) && !/\p{Cc}/u.test(text) ? text : `0x${key.toString("hex")}`;
}

// ---------------------------------------------------------------------------------------------
// replay

/**
 * Publishes letters back to their source topics, either the named ones (all found before anything is
 * published) or every letter with a reason (published batch by batch as the topic is read, so memory
 * stays bounded however many there are).
 *
 * NOTE: replay is at-least-once and leaves the dead-letter topic as it is: each line printed is a
 * message the brokers acknowledged (acks = -1), and running the command again publishes again. The
 * `mandate-replayed-from` header marks every copy. A replayed message that fails again is dead-lettered
 * afresh, without that header (the dead letter keeps only its own), so a later `--reason` replay picks
 * up both letters.
 */
async function replayDeadLetters(
  kafka: Kafka,
  topic: string,
  request: Extract<Request, { kind: "replay" }>,
): Promise<void> {
  const ranges = await deadLetterRanges(kafka, topic);
  const wanted = new Map(request.letters.map((ref) => [resolveLetterRef(ref, ranges), ref]));
  const replayer = new LetterReplayer(topic, request);

  if (!request.dryRun) await replayer.connect(kafka);
  try {
    const seen = new Set<string>();
    const named = new Map<string, DeadLetter>();
    await readDeadLetters(kafka, topic, ranges, async (letters) => {
      if (wanted.size > 0) {
        for (const letter of letters) if (wanted.has(letterId(letter))) named.set(letterId(letter), letter);
        return;
      }
      const fresh = letters.filter(
        (letter) =>
          !seen.has(letterId(letter)) &&
          headerText(letter.message.headers, "reason") === request.reason &&
          (request.step === undefined || headerText(letter.message.headers, "step") === request.step),
      );
      await replayer.replay(fresh);
      // Only once published: a batch whose send failed is fetched again and must not count as done.
      for (const letter of fresh) seen.add(letterId(letter));
    });
    if (wanted.size > 0) {
      // Aborted transactions and commit markers have offsets too, but are no letters.
      const missing = [...wanted].filter(([id]) => !named.has(id)).map(([, ref]) => ref.text);
      if (missing.length > 0) throw new UsageError(`no dead letter at ${missing.join(", ")} on ${topic}`);
      await replayer.replay([...wanted.keys()].map((id) => named.get(id) as DeadLetter));
    }
  } finally {
    await replayer.close();
  }
  replayer.report();
}

/** `partition:offset` of a letter named on the command line, checked against the topic's offsets. */
function resolveLetterRef(ref: LetterRef, ranges: Map<number, PartitionRange>): string {
  if (ref.partition === undefined && ranges.size > 1) {
    throw new UsageError(
      `the dead-letter topic has ${ranges.size} partitions: name the letter as <partition>:${ref.offset}`,
    );
  }
  const partition = ref.partition ?? 0;
  const range = ranges.get(partition);
  if (!range) throw new UsageError(`the dead-letter topic has no partition ${partition}`);
  if (ref.offset < range.low || ref.offset >= range.end) {
    throw new UsageError(
      `no dead letter at ${ref.text}: partition ${partition} holds offsets ${range.low} to ${range.end - 1}`,
    );
  }
  return `${partition}:${ref.offset}`;
}

class LetterReplayer {
  private producer: Producer | undefined;
  private kafka: Kafka | undefined;
  private replayed = 0;
  private readonly skipped: string[] = [];

  constructor(
    private readonly topic: string,
    private readonly options: { dryRun: boolean; force: boolean },
  ) {}

  async connect(kafka: Kafka): Promise<void> {
    // sendByPartition places each replayed key where this partitioner (the SDK's and the services') put its original.
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();
    this.kafka = kafka;
  }

  async close(): Promise<void> {
    await this.producer?.disconnect();
  }

  async replay(letters: DeadLetter[]): Promise<void> {
    const bySource = new Map<string, DeadLetter[]>();
    for (const letter of letters) {
      const id = `${this.topic}:${letterId(letter)}`;
      const reason = headerText(letter.message.headers, "reason") ?? "no reason";
      const source = headerText(letter.message.headers, "source-topic");
      if (!source) {
        this.skip(`${id} (${reason}) has no source-topic header; there is nowhere to replay it`);
        continue;
      }
      const permanent = PERMANENT_CAUSES[reason as UndecodableMessageError["reason"]];
      if (permanent !== undefined && !this.options.force) {
        this.skip(`${id} (${reason}) would be dead-lettered again: ${permanent}; --force replays it anyway`);
        continue;
      }
      bySource.set(source, [...(bySource.get(source) ?? []), letter]);
    }
    for (const [source, group] of bySource) {
      if (!this.options.dryRun) {
        const partitions = await topicPartitionCounts(this.kafka as Kafka, [source]);
        await sendByPartition(
          this.producer as Producer,
          source,
          group.map((letter) => ({
            key: letter.message.key,
            value: letter.message.value,
            headers: this.replayHeaders(letter),
          })),
          partitions.get(source) as number,
        );
      }
      for (const letter of group) {
        const { message } = letter;
        const verb = this.options.dryRun ? "would replay" : "replayed";
        const reason = headerText(message.headers, "reason") ?? "no reason";
        const key = keyText(message.key) ?? "null";
        process.stdout.write(
          `${verb} ${this.topic}:${letterId(letter)} → ${source} (${reason}; key ${key}; ${message.value?.length ?? 0} bytes)\n`,
        );
        this.replayed += 1;
      }
    }
  }

  /**
   * The letter's headers minus the dead-letter ones — the original message's headers, such as
   * `mandate-action-id` — plus where it was replayed from. Why the first attempt failed stays in the
   * letter's `detail`.
   */
  private replayHeaders({ partition, message }: DeadLetter): IHeaders {
    const kept = Object.entries(message.headers ?? {}).filter(([name]) => !DEAD_LETTER_HEADER_SET.has(name));
    return {
      ...Object.fromEntries(kept),
      [REPLAYED_FROM_HEADER]: `${this.topic}:${partition}:${message.offset}`,
    };
  }

  private skip(warning: string): void {
    process.stderr.write(`warning: ${warning}\n`);
    this.skipped.push(warning);
  }

  /** A summary line; anything skipped makes the command fail, so a script notices what was left behind. */
  report(): void {
    const what = this.options.dryRun ? "would be replayed (dry run: nothing published)" : "replayed";
    process.stdout.write(`${this.replayed} ${this.replayed === 1 ? "letter" : "letters"} ${what}\n`);
    if (this.skipped.length > 0) {
      throw new Error(`${this.skipped.length} not replayed; see the warnings above`);
    }
  }
}
