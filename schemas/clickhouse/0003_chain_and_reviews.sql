-- Tamper evidence and the review trail.
-- An ALTER … ADD COLUMN statement is applied only when the column is missing (the migrator checks
-- system.columns first: 18.16 has no ADD COLUMN IF NOT EXISTS), so this file re-applies as a no-op.

-- The reviewer's required comment on a reviewed action (reviewer and supersedes came in 0001).
ALTER TABLE {{database}}.decisions ADD COLUMN review_comment String AFTER reviewer;

-- Each agent's decisions form a hash chain (services/common/src/trail-chain.ts): the row's place in
-- its agent's chain from 1, the previous row's hash, and its own hash over every decision column.
-- `mandate trail verify` recomputes them. Not part of ORDER BY, so a reordering shows as a broken chain.
ALTER TABLE {{database}}.decisions ADD COLUMN chain_seq UInt64;
ALTER TABLE {{database}}.decisions ADD COLUMN chain_prev String;
ALTER TABLE {{database}}.decisions ADD COLUMN chain_hash String;

-- The envelope fields only the first `actions` table had, so that actions can be read from
-- `decisions` alone: the sink reads actions only inside decision records, with secrets redacted.
-- (This file first fed an `actions` table from here by a materialized view; it is a view, see 0006.)
ALTER TABLE {{database}}.decisions ADD COLUMN nonce String;
ALTER TABLE {{database}}.decisions ADD COLUMN key_id String;

-- One row per reviewed flag: who decided, how and why. A reviewer's decision (or the deadline's) is
-- published as a decision that supersedes the flag, so this table is a view of those decisions.
-- Engine: ReplacingMergeTree, because the decisions it is fed from may be inserted twice.
-- ORDER BY (agent_id, flag_decision_id): a flag gets one review; one agent's reviews sit together.
CREATE TABLE IF NOT EXISTS {{database}}.reviews
(
    flag_decision_id String,
    review_decision_id String,
    action_id String,
    agent_id {{low_cardinality_string}},
    outcome {{low_cardinality_string}},
    reviewer {{low_cardinality_string}},
    comment String,
    reason_codes Array(String),
    decided_at {{timestamp_ms}}
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(decided_at)
ORDER BY (agent_id, flag_decision_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.reviews_mv
TO {{database}}.reviews
AS SELECT
    supersedes AS flag_decision_id,
    decision_id AS review_decision_id,
    action_id,
    agent_id,
    verdict AS outcome,
    reviewer,
    review_comment AS comment,
    reason_codes,
    decided_at
FROM {{database}}.decisions
WHERE supersedes != '';
