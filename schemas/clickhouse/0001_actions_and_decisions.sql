-- The trail's first tables: every decision, with the action it was made on, and the dead letters.
-- Placeholders: {{database}}, {{timestamp_ms}} (DateTime64(3,'UTC') where supported, else DateTime('UTC')),
-- {{low_cardinality_string}} (LowCardinality(String) where supported, else String).
-- (This file first created an `actions` table too; `actions` is now a view of `decisions`, see 0006.)

-- One wide row per decision.
-- Engine: ReplacingMergeTree, because the sink may insert the same Kafka message twice after a crash
-- between insert and offset commit; rows with the same ORDER BY key collapse on merge (and FINAL).
-- The key ends in decision_id so a redelivered decision (same decided_at, same id) collapses, while
-- (agent_id, decided_at) first keeps one agent's history in time order for range scans.
CREATE TABLE IF NOT EXISTS {{database}}.decisions
(
    decision_id String,
    action_id String,
    agent_id {{low_cardinality_string}},
    session_id String,
    session_task String,
    tool {{low_cardinality_string}},
    operation {{low_cardinality_string}},
    resource String,
    destination String,
    arguments_json String,
    intent String,
    proposed_at {{timestamp_ms}},
    verdict {{low_cardinality_string}},
    score_identity Float64,
    score_scope Float64,
    score_payload Float64,
    score_alignment Float64,
    score_drift Float64,
    reason_axes Array(String),
    reason_codes Array(String),
    reason_severities Array(String),
    reason_messages Array(String),
    policy_version {{low_cardinality_string}},
    registration_version Nullable(Int64),
    validator_id {{low_cardinality_string}},
    decided_at {{timestamp_ms}},
    expires_at {{timestamp_ms}},
    latency_ms Float64,
    supersedes String,
    reviewer String,
    kafka_partition UInt32,
    kafka_offset UInt64,
    ingested_at {{timestamp_ms}}
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(decided_at)
ORDER BY (agent_id, decided_at, decision_id);

-- What could not be processed, with the reason; the original bytes stay on the dead-letter topic.
-- Keyed on the source position and step, so a dead letter written or read twice collapses to one row;
-- dead letters are few, so giving up time order in the key costs little.
CREATE TABLE IF NOT EXISTS {{database}}.dead_letters
(
    source_topic String,
    source_partition UInt32,
    source_offset UInt64,
    step {{low_cardinality_string}},
    reason {{low_cardinality_string}},
    detail String,
    message_key String,
    size_bytes UInt32,
    failed_at {{timestamp_ms}},
    kafka_partition UInt32,
    kafka_offset UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(failed_at)
ORDER BY (source_topic, source_partition, source_offset, step);
