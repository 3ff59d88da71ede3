import { runService } from "@mandate/common/run-service";
import { validatorConfigFromEnv, type ValidatorConfig } from "./validator-config.js";
import { ValidatorService } from "./validator-service.js";

await runService(
  "validator",
  process.argv,
  () => validatorConfigFromEnv(process.env),
  async (config: ValidatorConfig) => {
    const service = new ValidatorService(config);
    await service.start();
    return service;
  },
);
