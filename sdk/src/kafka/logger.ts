/**
 * Where the SDK and the Kafka plumbing report what happened: one method per level, taking the fields
 * (a stable `event` name first) and a message, in pino's order, so a pino logger fits as it is (the
 * services pass theirs). The SDK itself depends on no logging library.
 */
export type LogMethod = (fields: Record<string, unknown>, message: string) => void;

export interface Logger {
  fatal: LogMethod;
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
}

const ignore: LogMethod = () => {};

/** Says nothing. */
export const silentLogger: Logger = { fatal: ignore, error: ignore, warn: ignore, info: ignore, debug: ignore };

/**
 * Warnings and errors as JSON lines on stderr, nothing below: what the SDK does when the caller passes
 * no logger. Never stdout, which belongs to the program the SDK runs in (an MCP server over stdio, a
 * CLI whose output is piped).
 */
export function warningsToStderr(name: string): Logger {
  const write =
    (level: string): LogMethod =>
    (fields, message) => {
      process.stderr.write(
        `${JSON.stringify({ level, time: Date.now(), name, ...serialisable(fields), msg: message })}\n`,
      );
    };
  return { fatal: write("fatal"), error: write("error"), warn: write("warn"), info: ignore, debug: ignore };
}

/** An Error in the fields keeps its type, message and stack (JSON.stringify would write `{}`). */
function serialisable(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(fields).map(([key, value]) =>
      value instanceof Error ? [key, { type: value.name, message: value.message, stack: value.stack }] : [key, value],
    ),
  );
}
