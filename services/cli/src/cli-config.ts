import { connectionConfigSchema, connectionSettingsFromEnv, parseConfig } from "@mandate/common/service-config";

/** What the CLI reads from the environment: where Kafka and the registry are (the services' variables), and who runs it. */
export function cliConfigFromEnv(env: NodeJS.ProcessEnv = process.env) {
  return {
    connection: parseConfig("mandate", connectionConfigSchema, connectionSettingsFromEnv(env)),
    user: env.USER ?? null,
  };
}
