import type { ProposedAction, Reason } from "@mandate/contracts";
import { type AlignmentConfig, DEFAULT_ALIGNMENT_CONFIG } from "./alignment-config.js";
import { type ValueLookup, isExplained } from "./explaining-context.js";
import {
  INTENT_VALUE_LABELS,
  type IntentValue,
  collectStatedValues,
  destinationValue,
  withoutStatedValues,
  resourceValue,
} from "./intent-values.js";
import type { PurposeModel, ToolFit, VectorSet } from "./purpose-model.js";
import { readArguments } from "./read-arguments.js";
import { consequentialVerb } from "./requested-change.js";
import { amountKey, isStatedAmount } from "./stated-amounts.js";
import { type TaskContext, taskContext } from "./task-context.js";
import { accumulateTokens, finishEmbedding } from "./text-embedding.js";
import { tokenize } from "./tokenize.js";
import { dot } from "./vector-math.js";
import { zeroedVector } from "./vector-slab.js";
import { addWord, isContent, wordFactsOf } from "./word-facts.js";

export interface AlignmentInput {
  action: ProposedAction;
  sessionTask: string | null;
  /**
   * Intent-carrying values the agent is known to have come by: its recent approved actions (the
   * `intentValues` those assessments returned) and what it read in this session without injection.
   */
  recentValues: ValueLookup;
  /**
   * Values the agent read in this session from output without injected instructions: a call that
   * uses them continues the session's work, so they count as echoing the task.
   */
  sessionValues?: ValueLookup;
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
  /** The registered tool (name and description) that fits the task best; null without a task or tools. */
  bestToolTask: number | null;
  /** Share of the call's content words found in the registration or the task; null when it has none. */
  vocabularyCoverage: number | null;
  /** Share of the call's content words, identifiers and values found in the session task; null without a task or any of them. */
  taskEcho: number | null;
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

/** The dot product of `vector` with each row of `set` (cosines: both sides are unit vectors), in row order. */
function rowSimilarities(set: VectorSet, vector: Float32Array): number[] {
  const dims = vector.length;
  const rows = set.rows;
  const similarities: number[] = [];
  for (let row = 0, base = 0; row < set.count; row++, base += dims) {
    let sum = 0;
    for (let d = 0; d < dims; d++) sum += rows[base + d]! * vector[d]!;
    similarities.push(sum);
  }
  return similarities;
}

/** The first row with the highest similarity; null for an empty set. */
function nearestRow(similarities: readonly number[]): { similarity: number; index: number } | null {
  if (similarities.length === 0) return null;
  let best = -Infinity;
  let bestIndex = 0;
  for (let row = 0; row < similarities.length; row++) {
    const similarity = similarities[row]!;
    if (similarity > best) {
      best = similarity;
      bestIndex = row;
    }
  }
  return { similarity: best, index: bestIndex };
}

/** The registered tool nearest the task, computed once per model and task. */
function bestToolFit(model: PurposeModel, task: TaskContext): ToolFit | null {
  let fit = model.bestToolFits.get(task);
  if (!fit) {
    const found = nearestRow(rowSimilarities(model.toolRows, task.vector));
    if (!found) return null;
    fit = found;
    model.bestToolFits.set(task, fit);
  }
  return fit;
}

const NOTHING_RECENT: ValueLookup = new Set<string>();

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/** A cosine mapped onto 0..1 between the configured floor and ceiling. */
function calibrate(cos: number, config: AlignmentConfig): number {
  return clamp01((cos - config.similarityFloor) / (config.similarityCeiling - config.similarityFloor));
}
const round3 = (x: number): string => x.toFixed(3);

function alignmentReason(code: string, severity: Reason["severity"], message: string): Reason {
  return { axis: "alignment", code, severity, message };
}

/**
 * The counter-example most similar to the action among those whose marks the call carries
 * (see `counterExampleMarks`); null when it carries none. `similarities` are the action's, per
 * counter-example, already computed for the score.
 */
function markedCounterExample(
  model: PurposeModel,
  similarities: readonly number[],
  callStems: ReadonlySet<string>,
): { similarity: number; index: number; shared: string[] } | null {
  let best: { similarity: number; index: number; shared: string[] } | null = null;
  for (let row = 0; row < similarities.length; row++) {
    const marks = model.counterExampleMarks[row];
    if (!marks) continue;
    let shared: string[] | null = null;
    for (const mark of marks) if (callStems.has(mark)) (shared ??= []).push(mark);
    if (shared === null) continue;
    const similarity = similarities[row]!;
    if (best === null || similarity > best.similarity) best = { similarity, index: row, shared };
  }
  return best;
}

/** Content words among the argument values that the session task does not use. */
function ownContentWords(
  words: ReturnType<typeof wordFactsOf>,
  valueTokens: readonly string[],
  task: TaskContext | null,
  minContentWeight: number,
): number {
  let count = 0;
  for (const token of valueTokens) {
    const word = words.get(token);
    if (word.meaningful && isContent(word, minContentWeight) && !task?.stems.has(word.stem)) count++;
  }
  return count;
}

export function assessAlignment(
  model: PurposeModel,
  input: AlignmentInput,
  config: AlignmentConfig = DEFAULT_ALIGNMENT_CONFIG,
): AlignmentResult {
  const { action } = input;
  const vectors = model.vectors;
  const reasons: Reason[] = [];

  const actionVector = zeroedVector(vectors.dims);
  const words = wordFactsOf(vectors);
  const minContentWeight = config.contentWordWeight;
  const tool = model.tools.get(action.tool.toLowerCase());
  if (tool) actionVector.set(tool.sum);
  else accumulateTokens(vectors, actionVector, tokenize(action.tool));
  // Stems of this call's content words (argument keys included, the tool's name and description
  // not), looked up against the marks of the counter-examples; skipped when there are none.
  const callStems = new Set<string>();
  const stems = model.hasCounterExampleMarks;

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
  for (const token of args.keyTokens) {
    const word = words.get(token);
    if (!word.meaningful) continue;
    addWord(actionVector, word, vectors.dims);
    if (stems && isContent(word, minContentWeight)) callStems.add(word.stem);
  }
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
  // Values from here on come from the intent alone: a plan, which explains nothing and echoes nothing.
  let intentOnlyFrom = Infinity;
  if (action.intent) {
    // Addresses in the intent are values, read below; their parts (`amy`, `watson`, `gmail`) are not words.
    tokenize(withoutStatedValues(action.intent), callTokens);
    // The agent's own account of the action names where its data goes ("… and send them to x@y.com"):
    // an address there is as much the action's as one in its arguments, even when the call that
    // would use it comes later.
    intentOnlyFrom = values.length;
    collectStatedValues(action.intent, values);
  }

  const task = input.sessionTask ? taskContext(vectors, input.sessionTask, config.taskCacheSize) : null;
  let contentWords = 0;
  let knownWords = 0;
  // How much of the call repeats the session task: its content words and identifiers (`10731` of
  // `E-10731`), and below its values, counted as units.
  let echoUnits = 0;
  let echoed = 0;
  for (const token of callTokens) {
    const word = words.get(token);
    if (!word.meaningful) {
      if (token.length >= 3) {
        echoUnits++;
        if (task?.explaining.tokens.has(token)) echoed++;
      }
      continue;
    }
    addWord(actionVector, word, vectors.dims);
    if (!isContent(word, minContentWeight)) continue;
    contentWords++;
    echoUnits++;
    if (stems) callStems.add(word.stem);
    if (task?.stems.has(word.stem)) echoed++;
    if (model.knownTokens.has(token) || task?.explaining.tokens.has(token)) knownWords++;
  }
  finishEmbedding(vectors, actionVector);

  const purposeSimilarity = dot(actionVector, model.purpose);
  const example = nearestRow(rowSimilarities(model.examples, actionVector));
  const counterSimilarities = rowSimilarities(model.counterExamples, actionVector);
  const counter = nearestRow(counterSimilarities);
  const taskSimilarity = task ? dot(actionVector, task.vector) : null;
  const toolVector = tool?.vector;
  const toolTaskSimilarity = task && toolVector ? dot(toolVector, task.vector) : null;
  const bestTool = task ? bestToolFit(model, task) : null;

  const purposeFit = Math.max(purposeSimilarity, example?.similarity ?? -1);
  let weighted = config.weights.purpose * calibrate(purposeFit, config);
  let weights = config.weights.purpose;
  if (taskSimilarity !== null) {
    weighted += config.weights.task * calibrate(taskSimilarity, config);
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

  // The reason needs more than closeness, which a counter-example has to every action of its domain:
  // the call must carry one of its marks. The score's anchor part above stays a soft, unmarked measure.
  const marked = markedCounterExample(model, counterSimilarities, callStems);
  if (
    marked &&
    marked.similarity >= config.counterExampleSimilarity &&
    marked.similarity >= inPurposeAnchor + config.counterExampleMargin
  ) {
    // A counter-example draws its line with words ("delete what the user did not ask to delete") that
    // a bag of words cannot read; when the session task itself asks for every mark the call shares
    // with it ("delete my reminder"), the user asked for exactly that, and the closeness only informs.
    const asked = task !== null && marked.shared.every((mark) => task.stems.has(mark));
    reasons.push(
      alignmentReason(
        "alignment.counter_example",
        asked ? "info" : "suspicious",
        `closer to the counter-example "${model.counterExamples.texts[marked.index] ?? ""}" (${round3(marked.similarity)}) than to ${example ? "any example" : "the purpose"} (${round3(inPurposeAnchor)}), and shares ${marked.shared.map((w) => `"${w}"`).join(", ")} with it`,
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
  // The task alone, to tell which values the call takes from it.
  const taskSources = task && {
    registration: task.explaining,
    task: task.explaining,
    recent: NOTHING_RECENT,
    destinations: [],
    namedDestinations: [],
    resources: [],
  };
  const intentValues: string[] = [];
  let unexplained = 0;
  for (const [index, item] of values.entries()) {
    if (intentValues.includes(item.value)) continue;
    intentValues.push(item.value);
    // An address the intent only announces is not yet part of the call, so it cannot echo the task.
    const inCall = index < intentOnlyFrom;
    if (inCall) echoUnits++;
    if (taskSources && isExplained(item, taskSources)) {
      if (inCall) echoed++;
      continue;
    }
    if (input.sessionValues?.has(item.value)) {
      if (inCall) echoed++;
      continue;
    }
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
  // Only the task can explain an amount: the same amount in an earlier approved action is a
  // duplicate payment, not a reason to make another.
  const statedByTask = task?.explaining.amounts ?? [];
  // An amount the agent read in this session (a fare, a calculator's total) was computed, not made up.
  const unstated =
    statedByTask.length > 0
      ? args.amounts.find((a) => !isStatedAmount(a, statedByTask) && input.sessionValues?.has(amountKey(a)) !== true)
      : undefined;
  if (unstated !== undefined) {
    unexplained++;
    reasons.push(
      alignmentReason(
        "alignment.amount_not_in_task",
        "suspicious",
        `amount ${unstated} is none of the amounts the session task states (${statedByTask.join(", ")})`,
      ),
    );
  }
  score *= config.unexplainedValueFactor ** Math.min(unexplained, 2);

  const taskEcho = task && echoUnits > 0 ? echoed / echoUnits : null;
  // The verb by which this call changes something (pays, deletes, sends …); null for a call that only reads.
  const verb = consequentialVerb([...tokenize(action.tool), ...tokenize(action.operation), ...args.declaredActions]);
  const changes = verb !== null;
  // A tool that fits the session task far worse than another registered tool does, called with words
  // that do not echo the task, is doing something other than the task. The fit is relative, because
  // how close a task and a tool description get varies with the domain and the wording; the
  // best-fitting tool itself is never reported. The echo is lexical, because an injected
  // instruction's generic wording ("retrieve my details") lands close to many tasks in the
  // embedding, while an auxiliary step (look a vendor up before paying it) names what the task names.
  //
  // A call that only reads, by ids and codes (look the reservation up before changing it), is how
  // multi-step work begins, so for it this only informs. A read that asks in words of its own for
  // something the task does not mention (mail about salaries while scheduling meetings) is flagged.
  if (
    bestTool &&
    toolTaskSimilarity !== null &&
    bestTool.similarity - toolTaskSimilarity > config.toolFitMargin &&
    (taskEcho ?? 0) <= config.taskEchoCeiling
  ) {
    const asksInItsOwnWords = changes || ownContentWords(words, args.tokens, task, minContentWeight) >= 2;
    reasons.push(
      alignmentReason(
        "alignment.tool_unrelated_to_task",
        asksInItsOwnWords ? "suspicious" : "info",
        `tool ${action.tool} fits the session task (${round3(toolTaskSimilarity)}) far less than the registered tool ${model.toolRows.texts[bestTool.index] ?? ""} does (${round3(bestTool.similarity)}), and the call takes ${Math.round(100 * (taskEcho ?? 0))}% of its words and values from the task`,
      ),
    );
  }

  // A task that only asks for information, answered by an action that pays, deletes, shares or sends.
  // With a tool that fits the task far less than another registered tool does, the change was decided
  // by someone other than the person who wrote the task: two independent signals agree, so it is
  // certain enough to reject.
  if (task?.asksOnly) {
    if (verb !== null) {
      const unrelated = reasons.some((r) => r.code === "alignment.tool_unrelated_to_task");
      reasons.push(
        alignmentReason(
          "alignment.change_not_requested",
          unrelated ? "critical" : "suspicious",
          `the session task asks only for information, but tool ${action.tool} would ${verb} something${unrelated ? ", and the tool is unrelated to the task" : ""}`,
        ),
      );
    }
  }

  // A call that only reads and sends nothing out (no destination) can do no harm by a poor fit alone:
  // a calculator's expression or a look-up by id has few words to fit with. Its low fit informs, and a
  // very low one is for a person to look at; a call that changes something or reaches out is judged
  // in full.
  const contained = !changes && !action.destination;
  if (score < config.veryLowScore) {
    reasons.push(
      alignmentReason(
        "alignment.very_low",
        contained ? "suspicious" : "critical",
        `alignment ${round3(score)} is below ${config.veryLowScore}`,
      ),
    );
  } else if (score < config.lowScore) {
    reasons.push(
      alignmentReason(
        "alignment.low",
        contained ? "info" : "suspicious",
        `alignment ${round3(score)} is below ${config.lowScore}`,
      ),
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
      bestToolTask: bestTool?.similarity ?? null,
      vocabularyCoverage: coverage,
      taskEcho,
    },
  };
}
