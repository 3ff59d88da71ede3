import type { ClickHouseTarget } from "../../services/common/src/clickhouse-target.js";

/** The running parts a pipeline needs, however they were started. */
export interface InfraStack {
  kafkaBrokers: string[];
  schemaRegistryUrl: string;
  /** Undefined when the stack was started without ClickHouse. */
  clickhouse: ClickHouseTarget | undefined;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** `embedded`: a fresh chdb data directory; `server`: a private clickhouse-server; `none`: no trail. */
  clickhouse: "embedded" | "server" | "none";
}
