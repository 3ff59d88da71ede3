/** Where the trail lives: the embedded engine in a data directory, or a ClickHouse server over HTTP. */
export type ClickHouseTarget =
  { mode: "embedded"; path: string } | { mode: "server"; url: string; username?: string; password?: string };
