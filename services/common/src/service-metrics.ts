import { Counter, Gauge, Histogram, Registry } from "prom-client";

/**
 * The metrics every Mandate service exposes, on a registry of its own (several services may share a
 * process in the demo and tests). Names carry their unit; labels are low-cardinality.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly deadLetters = new Counter({
    name: "mandate_dead_letters_total",
    help: "Messages sent to the dead-letter topic, by step and reason.",
    labelNames: ["step", "reason"] as const,
    registers: [this.registry],
  });
  readonly consumerLag = new Gauge({
    name: "mandate_consumer_lag_messages",
    help: "Messages between the last one processed and the partition's high watermark, per topic.",
    labelNames: ["topic"] as const,
    registers: [this.registry],
  });

  constructor(service: string) {
    this.registry.setDefaultLabels({ service });
  }
}

/** What the validator adds. */
interface ProvenanceStats {
  openSessions: number;
  evictedSessions: number;
  evictedValues: number;
}

export class ValidatorMetrics extends ServiceMetrics {
  readonly decisions = new Counter({
    name: "mandate_decisions_total",
    help: "Decisions published, by verdict.",
    labelNames: ["verdict"] as const,
    registers: [this.registry],
  });
  readonly decisionDuration = new Histogram({
    name: "mandate_decision_duration_seconds",
    help: "Time to decide one action in process (all axes), decode excluded.",
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05],
    registers: [this.registry],
  });
  readonly steps = new Histogram({
    name: "mandate_validator_step_seconds",
    help:
      "Per decided action, how long each step of its batch took: waited (kafkajs handed it over → its batch began), " +
      "decided (read, decided, signed, encoded), sent (the transaction's records written), committed (the transaction's commit).",
    labelNames: ["step"] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1, 2, 5],
    registers: [this.registry],
  });
  readonly groupJoins = new Counter({
    name: "mandate_validator_group_joins_total",
    help: "Times this validator joined its group: once at start, again at each rebalance (a member came, left or let its session expire).",
    registers: [this.registry],
  });
  readonly observationsTaken = new Counter({
    name: "mandate_observations_taken_total",
    help: "Results and observations taken into a session (those not taken count as dead letters).",
    registers: [this.registry],
  });

  /** Session provenance gauges, read from `stats` when scraped. */
  constructor(stats: () => ProvenanceStats) {
    super("validator");
    const gauge = (name: string, help: string, read: (s: ProvenanceStats) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          this.set(read(stats()));
        },
      });
    gauge("mandate_provenance_open_sessions", "Sessions whose provenance this validator holds.", (s) => s.openSessions);
    gauge(
      "mandate_provenance_sessions_evicted",
      "Sessions evicted (oldest first) since start because more were open than the bound allows.",
      (s) => s.evictedSessions,
    );
    gauge(
      "mandate_provenance_values_evicted",
      "Values evicted (oldest first) from sessions at their bound since start; an evicted value is judged unexplained.",
      (s) => s.evictedValues,
    );
  }
}

/** What the sink adds. */
export class SinkMetrics extends ServiceMetrics {
  readonly flushRows = new Histogram({
    name: "mandate_sink_flush_rows",
    help: "Rows per ClickHouse insert.",
    buckets: [1, 10, 50, 100, 500, 1000, 5000, 20000],
    registers: [this.registry],
  });
  readonly flushDelay = new Histogram({
    name: "mandate_sink_flush_delay_seconds",
    help: "From the oldest message of a batch reaching Kafka to its rows being in ClickHouse.",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 120],
    registers: [this.registry],
  });
  readonly degraded = new Gauge({
    name: "mandate_sink_degraded",
    help: "1 while ClickHouse inserts are failing and consumption is paused.",
    registers: [this.registry],
  });

  constructor() {
    super("sink");
  }
}
