/** A policy set as it travels on `governance.policies.v1` (schemas/avro/policy-set.avsc). */
export interface PolicySetRecord {
  set_id: string;
  version: number;
  mode: "enforce" | "shadow";
  team: string | null;
  policies: string;
  thresholds_json: string | null;
  published_by: string | null;
  published_at: number;
}
