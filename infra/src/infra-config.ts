import os from "node:os";
import path from "node:path";
import { z } from "zod";

/**
 * Everything the launcher reads from the environment, parsed once.
 * Versions are pinned here so the demo, the tests and the benchmarks run the same parts.
 */
const infraConfigSchema = z.object({
  MANDATE_CACHE_DIR: z.string().default(path.join(os.homedir(), ".cache", "mandate")),
  /**
   * Kafka 3.9.1: the last 3.x release. Kafka 4.0 removed old protocol versions (KIP-896), and
   * kafkajs 2.2.4 has been unmaintained since 2023; 3.9 keeps every API version kafkajs
   * negotiates (including the transactional ones) while running KRaft without ZooKeeper.
   */
  MANDATE_KAFKA_VERSION: z.string().default("3.9.1"),
  MANDATE_SCHEMA_REGISTRY_VERSION: z.string().default("v0.2.1"),
  /** `local` starts processes on this machine, `docker` uses testcontainers; unset picks docker when an engine answers. */
  MANDATE_INFRA: z.enum(["local", "docker"]).optional(),
  /** Kafka nodes `npm run infra -- up` starts: 1 broker, or a 3-node KRaft cluster (RF 3, min ISR 2). */
  MANDATE_KAFKA_NODES: z
    .enum(["1", "3"])
    .default("1")
    .transform((v) => (v === "3" ? 3 : 1) as 1 | 3),
  /** Keep process logs and data directories after a stack stops (debugging). */
  MANDATE_KEEP_INFRA_DIRS: z
    .enum(["0", "1"])
    .default("0")
    .transform((v) => v === "1"),
});

export type InfraConfig = z.infer<typeof infraConfigSchema>;

let cached: InfraConfig | undefined;

export function infraConfig(): InfraConfig {
  if (!cached) {
    const parsed = infraConfigSchema.safeParse(process.env);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
      throw new Error(`invalid infrastructure configuration:\n  ${problems.join("\n  ")}`);
    }
    cached = parsed.data;
  }
  return cached;
}
