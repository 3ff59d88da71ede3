-- Rollups of the decision trail, kept current by materialized views: each view runs on every block
-- inserted into `decisions` and writes its aggregate into a target table (`TO`), so the target is
-- an ordinary table we choose the engine and key for, and it survives dropping and re-creating a view.
--
-- NOTE: a view counts INSERTS, not decisions. The sink commits Kafka offsets only after ClickHouse
-- has the rows, so a crash between the two re-inserts a batch; `decisions` (ReplacingMergeTree)
-- collapses the repeat, but the views have already added it again and nothing takes it back out.
-- The rollups are therefore an upper bound that is exact when the sink never crashed mid-batch:
-- good for dashboards and trends. Exact answers come from the base table with FINAL, e.g.
-- `SELECT count() FROM decisions FINAL WHERE ...` (the saved queries that must be exact do that).
--
-- NOTE: a view sees only rows inserted after it exists; rows already in `decisions` when this file
-- runs are not rolled up. A backfill is left out on purpose: it cannot be made idempotent here (a
-- re-run after a crash would add everything twice) and would race a sink replica inserting meanwhile.
--
-- Types: buckets are DateTime('UTC') on every server (toStartOfMinute/Hour of a DateTime64 is a
-- whole second anyway), so the rollups look the same on 18.16 and 26.x. 18.16 has no
-- SimpleAggregateFunction, so counts in the AggregatingMergeTree are countState().

-- Decisions per agent per minute by verdict.
-- Engine: SummingMergeTree adds up `decisions` for rows with the same key on merge; until a merge
-- several rows may share a key, so readers always sum(decisions) ... GROUP BY.
-- ORDER BY (agent_id, minute, verdict): the question is one agent's verdict mix over time; the key is
-- also the grouping key, which is what SummingMergeTree collapses on.
CREATE TABLE IF NOT EXISTS {{database}}.decisions_per_minute
(
    agent_id {{low_cardinality_string}},
    minute DateTime('UTC'),
    verdict {{low_cardinality_string}},
    decisions UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (agent_id, minute, verdict);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.decisions_per_minute_mv
TO {{database}}.decisions_per_minute
AS SELECT
    agent_id,
    toStartOfMinute(decided_at) AS minute,
    verdict,
    count() AS decisions
FROM {{database}}.decisions
GROUP BY agent_id, minute, verdict;

-- Reason codes per agent per hour: one row per code of each decision (arrayJoin over reason_codes),
-- so a decision with three reasons counts once under each of its three codes.
-- Engine: SummingMergeTree, as above. ORDER BY (agent_id, hour, reason_code): one agent's reasons
-- over time; "top reasons across agents" reads the whole (small) rollup for the hours it needs.
CREATE TABLE IF NOT EXISTS {{database}}.reason_codes_per_hour
(
    agent_id {{low_cardinality_string}},
    hour DateTime('UTC'),
    reason_code {{low_cardinality_string}},
    decisions UInt64
)
ENGINE = SummingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (agent_id, hour, reason_code);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.reason_codes_per_hour_mv
TO {{database}}.reason_codes_per_hour
AS SELECT
    agent_id,
    toStartOfHour(decided_at) AS hour,
    arrayJoin(reason_codes) AS reason_code,
    count() AS decisions
FROM {{database}}.decisions
GROUP BY agent_id, hour, reason_code;

-- Decision latency per agent per hour, as aggregate states: quantiles cannot be added up, so the
-- table keeps each block's quantile state and merges states (quantilesMerge) when read, which gives
-- quantiles over any set of hours and agents. The state is reservoir sampling: exact up to 8192
-- decisions per group read, sampled beyond.
-- Engine: AggregatingMergeTree, which merges the states of rows with the same key.
-- ORDER BY (hour, agent_id): the question is the fleet's latency hour by hour, so time comes first
-- and a time range reads a contiguous stretch.
CREATE TABLE IF NOT EXISTS {{database}}.decision_latency_per_hour
(
    hour DateTime('UTC'),
    agent_id {{low_cardinality_string}},
    decisions AggregateFunction(count),
    latency_ms_quantiles AggregateFunction(quantiles(0.5, 0.9, 0.99), Float64),
    latency_ms_max AggregateFunction(max, Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, agent_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.decision_latency_per_hour_mv
TO {{database}}.decision_latency_per_hour
AS SELECT
    toStartOfHour(decided_at) AS hour,
    agent_id,
    countState() AS decisions,
    quantilesState(0.5, 0.9, 0.99)(latency_ms) AS latency_ms_quantiles,
    maxState(latency_ms) AS latency_ms_max
FROM {{database}}.decisions
GROUP BY hour, agent_id;

-- (This file first created `flagged_per_hour` too, a table with its own view; it is now a plain view
-- of `decisions_per_minute`, which already counts the flagged verdicts: see 0006.)
