/** Topic names; configurable so tests can isolate themselves on one broker. */
export interface TopicNames {
  actions: string;
  decisions: string;
  registry: string;
  policies: string;
  deadLetters: string;
  /** Compacted: each validator's public key, keyed by validator id; executors verify decisions with it. */
  validatorKeys: string;
  /** What executors did with each decision (executed, refused, failed), keyed by agent id. */
  executions: string;
  /**
   * Compacted: the validators' security state per agent (replay window, rate, drift baseline, sessions),
   * keyed by agent id, partitioned like the actions; written in the decisions' transactions, read back
   * after a restart or rebalance.
   */
  validatorState: string;
}

export const DEFAULT_TOPICS: TopicNames = {
  actions: "agent.actions.v1",
  decisions: "agent.decisions.v1",
  registry: "agent.registry.v1",
  policies: "governance.policies.v1",
  deadLetters: "mandate.dead-letters.v1",
  validatorKeys: "mandate.validator-keys.v1",
  executions: "mandate.executions.v1",
  validatorState: "mandate.validator-state.v1",
};

/** Random topic names, so test suites sharing one broker never see each other's messages. */
export function isolatedTopics(tag: string): TopicNames {
  const suffix = `${tag}-${Math.random().toString(36).slice(2, 8)}`;
  return {
    actions: `agent.actions.${suffix}`,
    decisions: `agent.decisions.${suffix}`,
    registry: `agent.registry.${suffix}`,
    policies: `governance.policies.${suffix}`,
    deadLetters: `mandate.dead-letters.${suffix}`,
    validatorKeys: `mandate.validator-keys.${suffix}`,
    executions: `mandate.executions.${suffix}`,
    validatorState: `mandate.validator-state.${suffix}`,
  };
}
