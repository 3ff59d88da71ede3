import type { ProposedAction } from "../../../common/src/action.js";
import type { Reason } from "../../../common/src/decision.js";
import { type AlignmentConfig, DEFAULT_ALIGNMENT_CONFIG } from "./alignment-config.js";
import { isExplained } from "./explaining-context.js";
import { INTENT_VALUE_LABELS, type IntentValue, destinationValue, resourceValue } from "./intent-values.js";
import type { PurposeModel, VectorSet } from "./purpose-model.js";
import { readArguments } from "./read-arguments.js";
import { taskContext } from "./task-context.js";
import { accumulateTokens, finishEmbedding } from "./text-embedding.js";
import { carriesMeaning, tokenize } from "./tokenize.js";
import { dot } from "./vector-math.js";

export interface AlignmentInput {
  action: ProposedAction;
  sessionTask: string | null;
  /** Intent-carrying values seen in this agent's recent approved actions (the `intentValues` those assessments returned). */
  recentValues: ReadonlySet<string>;
}

/** Raw cosine similarities behind the score, kept for the trail and for tuning thresholds. */
export interface AlignmentSimilarities {
  purpose: number;
  /** Nearest example; null when the registration has none. */
  example: number | null;
  /** Nearest counter-example; null when the registration has none. */
  counterExample: number | null;
  task: number | null;
  /** The tool itself (name and description) against the task. */
  toolTask: number | null;
  /** Share of the call's content words found in the registration or the task; null when it has none. */
  vocabularyCoverage: number | null;
}

export interface AlignmentResult {
  /** 0..1, higher fits the purpose better. */
  score: number;
  reasons: Reason[];
  actionVector: Float32Array;
  /** The intent-carrying values found in the action, normalised; feed approved ones back as `recentValues`. */
  intentValues: string[];
  similarities: AlignmentSimilarities;
}

function nearest(set: VectorSet, vector: Float32Array): { similarity: number; index: number } | null {
  if (set.count === 0) return null;
  const dims = vector.length;
  let best = -Infinity;
  let bestIndex = 0;
  for (let row = 0; row < set.count; row++) {
    let sum = 0;
    const base = row * dims;
    for (let d = 0; d < dims; d++) sum += (set.rows[base + d] ?? 0) * (vector[d] ?? 0);
    if (sum > best) {
      best = sum;
      bestIndex = row;
    }
  }
  return { similarity: best, index: bestIndex };
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);
const round3 = (x: number): string => x.toFixed(3);

function alignmentReason(code: string, severity: Reason["severity"], message: string): Reason {
  return { axis: "alignment", code, severity, message };
}

export function assessAlignment(
  model: PurposeModel,
  input: AlignmentInput,
  config: AlignmentConfig = DEFAULT_ALIGNMENT_CONFIG,
): AlignmentResult {
  const { action } = input;
  const vectors = model.vectors;
  const reasons: Reason[] = [];

  const actionVector = new Float32Array(vectors.dims);
  const tool = model.tools.get(action.tool.toLowerCase());
  if (tool) actionVector.set(tool.sum);
  else accumulateTokens(vectors, actionVector, tokenize(action.tool));

  const values: IntentValue[] = [];
  // The words of this call (not of its tool's schema), which must also fit the registration's vocabulary.
  const callTokens = tokenize(action.operation);
  const args = readArguments(action.arguments_json, config.arguments);
  if (!args.readable) {
    reasons.push(
      alignmentReason(
        "alignment.arguments_unread",
        "info",
        "arguments were not valid JSON or too large to read for alignment",
      ),
    );
  }
  accumulateTokens(vectors, actionVector, args.keyTokens);
  for (const token of args.tokens) callTokens.push(token);
  for (const value of args.values) values.push(value);
  if (action.destination) {
    const destination = destinationValue(action.destination);
    if (destination) values.push(destination);
  }
  if (action.resource) {
    // A resource inside the registered resource patterns is explained by the scope itself.
    const resource = model.resources.some((p) => p.test(action.resource ?? "")) ? null : resourceValue(action.resource);
    if (resource) values.push(resource);
    else tokenize(action.resource, callTokens);
  }
  if (action.intent) tokenize(action.intent, callTokens);

  const task = input.sessionTask ? taskContext(vectors, input.sessionTask, config.taskCacheSize) : null;
  let contentWords = 0;
  let knownWords = 0;
  for (const token of callTokens) {
    if (!carriesMeaning(token)) continue;
    const index = vectors.indexOf(token);
    if (index >= 0) vectors.addWeighted(actionVector, index, 1);
    if (token.length < 3 || (index >= 0 && vectors.sifWeight(index) < config.contentWordWeight)) continue;
    contentWords++;
    if (model.knownTokens.has(token) || task?.explaining.tokens.has(token)) knownWords++;
  }
  finishEmbedding(vectors, actionVector);

  const purposeSimilarity = dot(actionVector, model.purpose);
  const example = nearest(model.examples, actionVector);
  const counter = nearest(model.counterExamples, actionVector);
  const taskSimilarity = task ? dot(actionVector, task.vector) : null;
  const toolVector = tool?.vector;
  const toolTaskSimilarity = task && toolVector ? dot(toolVector, task.vector) : null;

  const calibrate = (cos: number): number =>
    clamp01((cos - config.similarityFloor) / (config.similarityCeiling - config.similarityFloor));
  const purposeFit = Math.max(purposeSimilarity, example?.similarity ?? -1);
  let weighted = config.weights.purpose * calibrate(purposeFit);
  let weights = config.weights.purpose;
  if (taskSimilarity !== null) {
    weighted += config.weights.task * calibrate(taskSimilarity);
    weights += config.weights.task;
  }
  // The counter-examples are weighed against the examples, like against like: both are short
  // action descriptions, while the purpose is broad enough to sit close to anything in its domain.
  const inPurposeAnchor = example?.similarity ?? purposeSimilarity;
  if (counter) {
    // Which side of the registration's own boundary the action falls on.
    const lead = inPurposeAnchor - counter.similarity;
    weighted += config.weights.anchors * clamp01(0.5 + lead / (2 * config.anchorLeadSpan));
    weights += config.weights.anchors;
  }
  const coverage = contentWords > 0 ? knownWords / contentWords : null;
  if (coverage !== null) {
    weighted += config.weights.vocabulary * clamp01(coverage / config.vocabularyCoverageCeiling);
    weights += config.weights.vocabulary;
  }
  let score = weights > 0 ? weighted / weights : 0;

  if (
    counter &&
    counter.similarity >= config.counterExampleSimilarity &&
    counter.similarity >= inPurposeAnchor + config.counterExampleMargin
  ) {
    reasons.push(
      alignmentReason(
        "alignment.counter_example",
        "suspicious",
        `closer to the counter-example "${model.counterExamples.texts[counter.index] ?? ""}" (${round3(counter.similarity)}) than to ${example ? "any example" : "the purpose"} (${round3(inPurposeAnchor)})`,
      ),
    );
  }
  if (toolTaskSimilarity !== null && toolTaskSimilarity < config.toolTaskSimilarity) {
    reasons.push(
      alignmentReason(
        "alignment.tool_unrelated_to_task",
        "info",
        `tool ${action.tool} has little to do with the session task (similarity ${round3(toolTaskSimilarity)})`,
      ),
    );
  }

  const sources = {
    registration: model.explaining,
    task: task?.explaining ?? null,
    recent: input.recentValues,
    destinations: model.destinations,
    namedDestinations: model.namedDestinations,
    resources: model.resources,
  };
  const intentValues: string[] = [];
  let unexplained = 0;
  for (const item of values) {
    if (intentValues.includes(item.value)) continue;
    intentValues.push(item.value);
    if (isExplained(item, sources)) continue;
    unexplained++;
    reasons.push(
      alignmentReason(
        "alignment.unexplained_value",
        "suspicious",
        `${INTENT_VALUE_LABELS[item.kind]} ${item.value} appears in neither the session task, the registration nor recent approved actions`,
      ),
    );
  }
  score *= config.unexplainedValueFactor ** Math.min(unexplained, 2);

  if (score < config.veryLowScore) {
    reasons.push(
      alignmentReason("alignment.very_low", "critical", `alignment ${round3(score)} is below ${config.veryLowScore}`),
    );
  } else if (score < config.lowScore) {
    reasons.push(
      alignmentReason("alignment.low", "suspicious", `alignment ${round3(score)} is below ${config.lowScore}`),
    );
  }

  return {
    score,
    reasons,
    actionVector,
    intentValues,
    similarities: {
      purpose: purposeSimilarity,
      example: example?.similarity ?? null,
      counterExample: counter?.similarity ?? null,
      task: taskSimilarity,
      toolTask: toolTaskSimilarity,
      vocabularyCoverage: coverage,
    },
  };
}
