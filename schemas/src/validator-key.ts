/**
 * A validator's public key, exactly as it travels on the compacted `mandate.validator-keys.v1`
 * topic (schemas/avro/validator-key.avsc), keyed by `validator_id`. Executors read the topic into
 * memory and verify every decision record with the key of the `validator_id` it names. Only
 * validators may write this topic (Kafka ACLs): whoever can write it can vouch for a signer.
 */
export interface ValidatorKeyRecord {
  validator_id: string;
  algorithm: string;
  /** Ed25519 public key, SPKI PEM. */
  public_key: string;
  published_at: number;
}
