import { MandateError } from "@mandate/contracts";

/**
 * ClickHouse error codes (the server's ErrorCodes.cpp) after which the same request can succeed
 * later without anyone changing anything: load, memory, timeouts, the network, replication.
 * Every other code (an unknown table, a type mismatch, a syntax error, a failed login, a read-only
 * user) needs an operator or a code change, and repeating the request only repeats the answer.
 */
const TRANSIENT_CODES = new Set([
  159, // TIMEOUT_EXCEEDED
  160, // TOO_SLOW
  173, // CANNOT_ALLOCATE_MEMORY
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  203, // NO_FREE_CONNECTION
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  225, // NO_ZOOKEEPER
  236, // ABORTED
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY (a replica that lost its coordinator)
  252, // TOO_MANY_PARTS
  279, // ALL_CONNECTION_TRIES_FAILED
  285, // TOO_FEW_LIVE_REPLICAS
  319, // UNKNOWN_STATUS_OF_INSERT
  369, // ALL_REPLICAS_ARE_STALE
  394, // QUERY_WAS_CANCELLED
  425, // SYSTEM_ERROR
  439, // CANNOT_SCHEDULE_TASK
  745, // SERVER_OVERLOADED
  999, // KEEPER_EXCEPTION
  1000, // POCO_EXCEPTION
]);

/**
 * A ClickHouse request that failed, classified by the server's error code, never by its message.
 * Without a code the server did not answer at all (refused connection, timeout): that is retriable.
 */
export class ClickHouseRequestError extends MandateError {
  readonly retriable: boolean;

  constructor(
    /** The server's error code; undefined when no server answered. */
    readonly code: number | undefined,
    /** The server's name for the code, e.g. UNKNOWN_TABLE. */
    readonly type: string | undefined,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retriable = code === undefined || TRANSIENT_CODES.has(code);
  }

  /**
   * Classifies what a ClickHouse client threw. Both the HTTP client and the embedded engine's
   * connection throw @clickhouse/client's ClickHouseError (`code` a numeric string, `type` its name),
   * but from different copies of the package, so the shape is read rather than `instanceof`.
   */
  static from(error: unknown): ClickHouseRequestError {
    if (error instanceof ClickHouseRequestError) return error;
    const { code, type } = (error ?? {}) as { code?: unknown; type?: unknown };
    const serverCode = typeof code === "string" && /^\d+$/.test(code) ? Number(code) : undefined;
    const message = error instanceof Error ? error.message : String(error);
    return new ClickHouseRequestError(
      serverCode,
      serverCode !== undefined && typeof type === "string" ? type : undefined,
      message,
      { cause: error },
    );
  }
}
