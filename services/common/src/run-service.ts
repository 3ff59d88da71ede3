import { SECRET_FIELDS, type Logger } from "./logger.js";

/**
 * The shared `main` of every service: `--check-config` validates and exits; otherwise start, and
 * on SIGTERM or SIGINT stop in reverse order (stop fetching, finish in-flight work, commit, disconnect).
 */
export async function runService(
  name: string,
  argv: string[],
  loadConfig: () => unknown,
  start: (config: never) => Promise<{ stop(): Promise<void>; logger: Logger }>,
): Promise<void> {
  let config: unknown;
  try {
    config = loadConfig();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(2);
  }
  if (argv.includes("--check-config")) {
    process.stdout.write(`${name}: configuration is valid\n${JSON.stringify(maskSecrets(config), null, 2)}\n`);
    return;
  }
  const service = await start(config as never);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    service.logger.info({ event: "service_stopping", signal }, `${name} stopping`);
    try {
      await service.stop();
      service.logger.info({ event: "service_stopped" }, `${name} stopped`);
      process.exit(0);
    } catch (error) {
      service.logger.error({ event: "service_stop_failed", err: error }, `${name} did not stop cleanly`);
      process.exit(1);
    }
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

/**
 * Fields that hold a secret, by how the name ends (`password`, `redactionKeyHex`, `…Token`, `…Secret`):
 * service-config.ts and the services' configs are not marked, so the logger's list of secret names
 * decides. Paths to secret files (`signingKeyPath`, `tokensFile`) are not secrets and stay visible.
 */
const SECRET_FIELD = new RegExp(`(${SECRET_FIELDS.join("|")})$`, "i");

/** The configuration as `--check-config` prints it: every secret masked, a URL's password too. */
export function maskSecrets(value: unknown, field = ""): unknown {
  if (value === undefined || value === null) return value;
  if (SECRET_FIELD.test(field)) return "[redacted]";
  if (typeof value === "string") return maskUrlPassword(value);
  if (Array.isArray(value)) return value.map((item) => maskSecrets(item));
  if (typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskSecrets(item, key)]));
  }
  return value;
}

/** `http://user:pass@host` → `http://user:[redacted]@host`; anything else unchanged. */
function maskUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/:@\s]*):[^/@\s]*@/i, "$1:[redacted]@");
}
