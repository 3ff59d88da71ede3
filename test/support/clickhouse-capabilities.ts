import type { ClickHouseCapabilities } from "@mandate/common/clickhouse-connection";

/** The embedded engine's capabilities (chdb, ClickHouse 26.x). */
export const MODERN_CLICKHOUSE: ClickHouseCapabilities = {
  version: "26.7",
  dateTime64: true,
  lowCardinality: true,
  queryParameters: true,
  codecs: true,
  ttl: true,
  compactJsonRows: true,
  compactParts: true,
};

/** Debian's clickhouse-server 18.16, the real server in the integration tests. */
export const DEBIAN_CLICKHOUSE: ClickHouseCapabilities = {
  version: "18.16.1",
  dateTime64: false,
  lowCardinality: false,
  queryParameters: false,
  codecs: false,
  ttl: false,
  compactJsonRows: false,
  compactParts: false,
};
