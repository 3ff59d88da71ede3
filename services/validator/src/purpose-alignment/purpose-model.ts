import type { AgentRegistration } from "@mandate/contracts";
import { type AlignmentConfig, DEFAULT_ALIGNMENT_CONFIG } from "./alignment-config.js";
import { counterExampleMarks } from "./counter-example-words.js";
import { type ExplainingContext, explainingContext, globPattern } from "./explaining-context.js";
import type { TaskContext } from "./task-context.js";
import { accumulateTokens, embedText, finishEmbedding } from "./text-embedding.js";
import { tokenize } from "./tokenize.js";
import { stemWord } from "./word-stem.js";
import { type WordVectors, loadWordVectors } from "./word-vectors.js";

export interface ToolModel {
  /** Unfinished SIF sum of the tool's name and (down-weighted) description: each call starts from it. */
  sum: Float32Array;
  /** The same sum, finished: what the tool is, compared with the session task. */
  vector: Float32Array;
}

/** A set of unit vectors packed row after row, so scanning them touches one array. */
export interface VectorSet {
  count: number;
  rows: Float32Array;
  texts: readonly string[];
}

/** The registered tool that fits a session task best, and how well. */
export interface ToolFit {
  similarity: number;
  /** Row in `PurposeModel.toolRows`. */
  index: number;
}

/**
 * Everything alignment needs from one registration version, computed once so that
 * assessing an action costs its own embedding and a handful of dot products.
 */
export interface PurposeModel {
  agentId: string;
  registrationVersion: number;
  vectors: WordVectors;
  purpose: Float32Array;
  examples: VectorSet;
  counterExamples: VectorSet;
  /** Per counter-example, in order: the stems that set it apart from the in-purpose texts (see `counterExampleMarks`). */
  counterExampleMarks: readonly ReadonlySet<string>[];
  /** Whether any counter-example has a mark: if none has, a call's stems need not be collected. */
  hasCounterExampleMarks: boolean;
  /** Keyed by lowercased tool name. */
  tools: ReadonlyMap<string, ToolModel>;
  /** Every registered tool's finished vector, in registration order, with the tool names as texts. */
  toolRows: VectorSet;
  /**
   * The best-fitting tool per session task, filled on first use. Keyed by the shared task
   * context, so an entry lives as long as the task cache keeps that task.
   */
  bestToolFits: WeakMap<TaskContext, ToolFit>;
  /** Words of the purpose, examples, tool names, descriptions and operations, in or out of vocabulary. */
  knownTokens: ReadonlySet<string>;
  /** What the registration's own prose says about places and people (counter-examples excluded: they name what is not allowed). */
  explaining: ExplainingContext;
  destinations: readonly RegExp[];
  namedDestinations: readonly RegExp[];
  resources: readonly RegExp[];
  /** Approximate bytes this model holds, not counting the shared word vectors. */
  bytes: number;
}

export interface BuildPurposeModelOptions {
  vectors?: WordVectors;
  config?: AlignmentConfig;
}

/**
 * One buffer for every vector a model holds, handed out as views in the order assessing an action
 * reads them. Each call reads a dozen 400-byte vectors of its agent's model, and a validator holds
 * thousands of models: packed together they cost one cache miss and a prefetched stream, where
 * separate arrays cost a miss each.
 */
class VectorBlock {
  private used = 0;

  constructor(private readonly block: Float32Array) {}

  /** A view holding a copy of `values`. */
  take(values: Float32Array): Float32Array {
    const view = this.block.subarray(this.used, this.used + values.length);
    view.set(values);
    this.used += values.length;
    return view;
  }
}

function vectorSet(vectors: WordVectors, texts: readonly string[], block: VectorBlock): VectorSet {
  const rows = new Float32Array(texts.length * vectors.dims);
  texts.forEach((text, i) => rows.set(embedText(vectors, text).vector, i * vectors.dims));
  return { count: texts.length, rows: block.take(rows), texts };
}

function toolModel(vectors: WordVectors, name: string, description: string, descriptionWeight: number): ToolModel {
  const sum = new Float32Array(vectors.dims);
  accumulateTokens(vectors, sum, tokenize(name));
  accumulateTokens(vectors, sum, tokenize(description), descriptionWeight);
  return { sum, vector: finishEmbedding(vectors, Float32Array.from(sum)) };
}

const stringBytes = (s: string): number => 16 + 2 * s.length;
/** A rough per-entry overhead for V8 Map and Set slots. */
const ENTRY_BYTES = 40;

export function buildPurposeModel(reg: AgentRegistration, options: BuildPurposeModelOptions = {}): PurposeModel {
  const vectors = options.vectors ?? loadWordVectors();
  const config = options.config ?? DEFAULT_ALIGNMENT_CONFIG;

  const vectorCount = 3 * reg.scope.tools.length + 1 + reg.examples.length + reg.counter_examples.length;
  const block = new VectorBlock(new Float32Array(vectorCount * vectors.dims));
  const tools = new Map<string, ToolModel>();
  const toolRowValues = new Float32Array(reg.scope.tools.length * vectors.dims);
  reg.scope.tools.forEach((tool, i) => {
    const model = toolModel(vectors, tool.name, tool.description, config.toolDescriptionWeight);
    tools.set(tool.name.toLowerCase(), { sum: block.take(model.sum), vector: block.take(model.vector) });
    toolRowValues.set(model.vector, i * vectors.dims);
  });
  const inPurposeTexts = [
    reg.purpose,
    ...reg.examples,
    ...reg.scope.tools.flatMap((tool) => [tool.name, tool.description]),
  ];
  const operations = reg.scope.tools.flatMap((tool) => tool.operations);
  const knownTokens = new Set<string>();
  // Registered operations are the registration's words too; they are not prose, so they explain no values.
  for (const text of [...inPurposeTexts, ...operations]) for (const token of tokenize(text)) knownTokens.add(token);
  const inPurposeStems = new Set<string>();
  for (const text of [reg.purpose, ...reg.examples, ...operations]) {
    for (const token of tokenize(text)) inPurposeStems.add(stemWord(token));
  }
  const marks = reg.counter_examples.map((text) =>
    counterExampleMarks(vectors, text, inPurposeStems, config.contentWordWeight),
  );
  const explaining = explainingContext(inPurposeTexts.join("\n"));
  const destinations = reg.scope.destination_patterns.map(globPattern);
  const namedDestinations = reg.scope.destination_patterns
    .filter((pattern) => /[a-z0-9-]\.[a-z]/i.test(pattern))
    .map(globPattern);
  const resources = reg.scope.resource_patterns.map(globPattern);

  const purpose = block.take(embedText(vectors, reg.purpose).vector);
  const examples = vectorSet(vectors, reg.examples, block);
  const counterExamples = vectorSet(vectors, reg.counter_examples, block);
  const toolRows: VectorSet = {
    count: reg.scope.tools.length,
    rows: block.take(toolRowValues),
    texts: reg.scope.tools.map((tool) => tool.name),
  };

  const vectorBytes =
    purpose.byteLength +
    examples.rows.byteLength +
    counterExamples.rows.byteLength +
    toolRows.rows.byteLength +
    tools.size * 2 * vectors.dims * 4;
  const textBytes =
    [...reg.examples, ...reg.counter_examples, ...tools.keys()].reduce((n, s) => n + stringBytes(s), 0) +
    [
      ...knownTokens,
      ...marks.flatMap((m) => [...m]),
      ...explaining.tokens,
      ...explaining.names,
      ...explaining.capitalised,
      ...explaining.namePhrases,
      ...explaining.hosts,
      ...explaining.paths,
    ].reduce((n, s) => n + stringBytes(s) + ENTRY_BYTES, 0) +
    stringBytes(explaining.text) +
    stringBytes(explaining.compact);

  return {
    agentId: reg.agent_id,
    registrationVersion: reg.version,
    vectors,
    purpose,
    examples,
    counterExamples,
    counterExampleMarks: marks,
    hasCounterExampleMarks: marks.some((m) => m.size > 0),
    tools,
    toolRows,
    bestToolFits: new WeakMap(),
    knownTokens,
    explaining,
    destinations,
    namedDestinations,
    resources,
    bytes: vectorBytes + textBytes + tools.size * ENTRY_BYTES,
  };
}
