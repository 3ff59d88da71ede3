/**
 * Where the trail lives: the embedded engine in a data directory, or a ClickHouse server over HTTP or
 * HTTPS (`caFile`: the PEM CA that signed the server's certificate; the system CAs when omitted).
 */
export type ClickHouseTarget =
  | { mode: "embedded"; path: string }
  | { mode: "server"; url: string; username?: string; password?: string; caFile?: string };
