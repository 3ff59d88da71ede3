import { percentiles } from "./latency-stats.js";

/**
 * When one action passed each point between propose() and its verdict in the agent's hands, in epoch
 * milliseconds. Taken in the bench process from outside the services: the agent's producer's
 * acknowledgement, consumers of the action and decision topics, and two timestamps the validator writes
 * anyway (the decision's `decided_at` and the decision record's CreateTime, both whole milliseconds).
 */
export interface ActionTimeline {
  proposed: number;
  /** The broker acknowledged the action (acks=all): it is appended. */
  acked?: number;
  /** A read_uncommitted consumer of the action topic received it: the earliest the validator can have. */
  readable?: number;
  /** `decided_at`: the validator's clock when it took the action in and decided it. */
  decided?: number;
  /** The decision record's CreateTime: kafkajs stamps it as it builds the produce request of the transaction. */
  decisionProduced?: number;
  /** A read_uncommitted consumer of the decision topic received the record: appended, not committed. */
  decisionAppended?: number;
  /** A read_committed consumer received it: the transaction committed and the last stable offset passed it. */
  decisionReadable?: number;
  /** propose() resolved: the agent's DecisionListener (read_committed) decoded it and handed it over. */
  received?: number;
}

type Point = Exclude<keyof ActionTimeline, "proposed">;

/** The points in the order an action passes them; a `null` point cannot be seen from outside the validator. */
export const HOPS: ReadonlyArray<{ key: string; hop: string; point: Point | null; why?: string }> = [
  { key: "action_appended", hop: "action appended (producer ack)", point: "acked" },
  { key: "action_readable", hop: "action readable (read_uncommitted consumer)", point: "readable" },
  {
    key: "validator_fetch",
    hop: "validator's fetch",
    point: null,
    why: "not timed per action from outside the validator; lies between 'action readable' and 'decided' (the validator's 'waited' step ends there)",
  },
  { key: "decided", hop: "decided (decided_at, 1 ms)", point: "decided" },
  { key: "decision_produced", hop: "decision sent in the transaction (CreateTime, 1 ms)", point: "decisionProduced" },
  { key: "decision_appended", hop: "decision appended, uncommitted (read_uncommitted)", point: "decisionAppended" },
  {
    key: "commit",
    hop: "transaction committed",
    point: null,
    why: "not timed per action from outside the validator; lies between 'decision appended' and 'decision readable' (the validator's 'committed' step)",
  },
  { key: "decision_readable", hop: "decision readable (read_committed, LSO)", point: "decisionReadable" },
  { key: "listener", hop: "agent's listener (propose() resolves)", point: "received" },
];

export interface HopFigure {
  key: string;
  hop: string;
  /** Actions that have this point (and, for the step, the previous measured point). */
  n: number;
  fromProposeP50: number | null;
  fromProposeP99: number | null;
  /** From the previous measured point, per action. */
  stepP50: number | null;
  stepP99: number | null;
  why?: string;
}

/**
 * p50 and p99 of each point from propose() and from the previous measured point, each over the actions
 * that have both. NOTE: p50s do not add up: the p50 of a step is taken per action, not a difference of
 * cumulative p50s. A step can be slightly negative: two consumers, or a consumer and a producer, hear
 * of the same append in either order, and two of the points are whole milliseconds.
 */
export function hopFigures(timelines: readonly ActionTimeline[]): HopFigure[] {
  let previous: Point | undefined;
  return HOPS.map(({ key, hop, point, why }) => {
    if (point === null) {
      return { key, hop, n: 0, fromProposeP50: null, fromProposeP99: null, stepP50: null, stepP99: null, why };
    }
    const fromPropose = timelines.flatMap((t) => (t[point] === undefined ? [] : [t[point] - t.proposed]));
    const before = previous;
    const steps = timelines.flatMap((t) => {
      const from = before === undefined ? t.proposed : t[before];
      return t[point] === undefined || from === undefined ? [] : [t[point] - from];
    });
    previous = point;
    const total = percentiles(fromPropose, [50, 99]);
    const step = percentiles(steps, [50, 99]);
    return {
      key,
      hop,
      n: fromPropose.length,
      fromProposeP50: figure(total.p50),
      fromProposeP99: figure(total.p99),
      stepP50: figure(step.p50),
      stepP99: figure(step.p99),
    };
  });
}

function figure(value: number | undefined): number | null {
  return value === undefined || Number.isNaN(value) ? null : Number(value.toFixed(2));
}
