-- `actions` and `flagged_per_hour` become plain views: they only repeated what `decisions` and
-- `decisions_per_minute` hold, and each copy was one more part written, sorted and compressed on
-- every insert the sink makes (in the trail bench, dropping these two copies took the sink's drain on
-- the embedded engine from about 36k to 41k decisions/s, medians of 4 alternating runs). A plain view stores nothing; it runs its
-- SELECT when read.
--
-- 0001–0004 no longer create the old tables on a new trail; on a trail made before, this file drops
-- them. Nothing is lost: every row of `actions` is a decision's action, and `flagged_per_hour` is the
-- flagged verdicts of `decisions_per_minute`. DROP … IF EXISTS and CREATE VIEW IF NOT EXISTS make the
-- file re-apply as a no-op (it drops and re-creates the views, which hold no data).
DROP TABLE IF EXISTS {{database}}.actions_mv;
DROP TABLE IF EXISTS {{database}}.flagged_per_hour_mv;
DROP TABLE IF EXISTS {{database}}.actions;
DROP TABLE IF EXISTS {{database}}.flagged_per_hour;

-- Each decided action, once: from the decision the validator made on it. A reviewer's decision
-- carries the same action again with `supersedes` set, so it is left out here (see `reviews`).
-- Like `decisions`, a decision the sink re-inserted after a crash shows twice until parts merge;
-- count with uniqExact(action_id) or read `decisions FINAL` for exact answers. It orders like
-- `decisions` (agent_id, decided_at), so one agent's actions in a time range read only that range.
CREATE VIEW IF NOT EXISTS {{database}}.actions AS
SELECT
    action_id,
    agent_id,
    session_id,
    session_task,
    tool,
    operation,
    resource,
    destination,
    arguments_json,
    intent,
    proposed_at,
    nonce,
    key_id,
    kafka_partition,
    kafka_offset,
    ingested_at
FROM {{database}}.decisions
WHERE supersedes = '';

-- Flagged decisions per agent per hour: the inflow of the review backlog (settled flags are in
-- `reviews`; the open backlog is the saved query `flagged-backlog`). Summed from the per-minute
-- rollup, so it counts inserts the same way (0002).
CREATE VIEW IF NOT EXISTS {{database}}.flagged_per_hour AS
SELECT
    agent_id,
    toStartOfHour(minute) AS hour,
    sum(decisions) AS flagged
FROM {{database}}.decisions_per_minute
WHERE verdict = 'flagged'
GROUP BY agent_id, hour;
