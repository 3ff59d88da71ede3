import type { ProposedAction, DecisionRecord } from "@mandate/contracts";
import type { ClickHouseClient } from "@mandate/common/clickhouse-connection";
import { TrailColumns } from "@mandate/common/trail-columns";
import { InsertRows, type TrailTable } from "@mandate/sink/trail-writer";

let sequence = 0;

/** A plausible decision record for seeding a trail directly (no validator), with fractional scores. */
export function sampleDecision(
  agentId: string,
  decidedAt: number,
  overrides: Partial<DecisionRecord> = {},
): DecisionRecord {
  sequence += 1;
  const id = `${process.pid}-${sequence}`;
  const action: ProposedAction = {
    action_id: `act-${id}`,
    agent_id: agentId,
    session_id: `session-${sequence % 7}`,
    session_task: "Pay the March invoice from ACME",
    tool: "payments",
    operation: "transfer",
    resource: "invoice/2026-03",
    destination: "api.bank.example",
    arguments_json: JSON.stringify({ payee: "ACME", amount: sequence % 1000, memo: 'invoice "2026-03"' }),
    intent: "settle the invoice",
    proposed_at: decidedAt - 7,
    nonce: `nonce-${id}`,
    key_id: null,
    signature: null,
  };
  return {
    decision_id: `dec-${id}`,
    action,
    verdict: sequence % 5 === 0 ? "flagged" : "approved",
    scores: {
      identity: 1,
      scope: 0,
      payload: sequence % 3 === 0 ? 0.5 : 0,
      alignment: 0.731 + (sequence % 9) / 100,
      drift: 0.1 / 3,
    },
    reasons:
      sequence % 5 === 0
        ? [
            {
              axis: "alignment",
              code: "alignment.low",
              message: "The action does not fit the purpose.",
              severity: "suspicious",
            },
          ]
        : [],
    policy_version: "default@1;thresholds=default@1",
    registration_version: 3,
    validator_id: "validator-test",
    decided_at: decidedAt,
    expires_at: decidedAt + 60_000,
    supersedes: null,
    reviewer: null,
    review_comment: null,
    redacted_arguments_json: null,
    capability: null,
    signature: null,
    ...overrides,
  };
}

/** Stores trail rows (trail-rows.ts) as the sink does, in one RowBinary insert; a chained row gets its hash. */
export async function storeRows(
  client: ClickHouseClient,
  database: string,
  table: TrailTable,
  rows: Array<Record<string, unknown>>,
): Promise<void> {
  const insert = new InsertRows((await TrailColumns.read(client, database)).of(table));
  for (const row of rows) insert.add(row);
  await insert.insertInto(client);
}
