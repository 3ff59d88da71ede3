-- The rest of the evidence: every registration version an agent had, and what executors did with
-- each decision.

-- Every version of every agent registration, as published on agent.registry.v1 (a compacted topic
-- keeps only the latest; the trail keeps them all, so a decision's registration_version can be read
-- back). Public keys are left out; their ids are kept.
-- Engine: ReplacingMergeTree, because the sink may insert a version twice after a crash.
-- ORDER BY (agent_id, version): one agent's history in version order, one row per version.
CREATE TABLE IF NOT EXISTS {{database}}.agent_registrations
(
    agent_id {{low_cardinality_string}},
    version UInt64,
    owner {{low_cardinality_string}},
    purpose String,
    examples Array(String),
    counter_examples Array(String),
    tools Array(String),
    destination_patterns Array(String),
    data_classes Array(String),
    scope_json String,
    key_ids Array(String),
    retired UInt8,
    registered_at {{timestamp_ms}},
    kafka_partition UInt32,
    kafka_offset UInt64,
    ingested_at {{timestamp_ms}}
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(registered_at)
ORDER BY (agent_id, version);

-- What each executor did with each decision it read: started (written before the tool runs), then
-- executed or failed; or refused (with the code).
-- Engine: ReplacingMergeTree, because the sink may insert a record twice.
-- ORDER BY (agent_id, action_id, decision_id, executor_id, outcome): an action's outcomes together;
-- outcome in the key, so a copy of a decision refused later never hides that it ran.
CREATE TABLE IF NOT EXISTS {{database}}.executions
(
    action_id String,
    decision_id String,
    agent_id {{low_cardinality_string}},
    tool {{low_cardinality_string}},
    executor_id {{low_cardinality_string}},
    outcome {{low_cardinality_string}},
    code {{low_cardinality_string}},
    reason String,
    at {{timestamp_ms}},
    kafka_partition UInt32,
    kafka_offset UInt64,
    ingested_at {{timestamp_ms}}
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (agent_id, action_id, decision_id, executor_id, outcome);
