import {
  connectionConfigSchema,
  connectionSettingsFromEnv,
  parseConfig,
} from "../../common/src/service-config.js";

/** Where the CLI finds Kafka and the registry: the same variables the services read. */
export function cliConnectionFromEnv(env: NodeJS.ProcessEnv) {
  return parseConfig("mandate", connectionConfigSchema, connectionSettingsFromEnv(env));
}
