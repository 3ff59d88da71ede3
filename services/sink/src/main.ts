import { runService } from "@mandate/common/run-service";
import { sinkConfigFromEnv, type SinkConfig } from "./sink-config.js";
import { SinkService } from "./sink-service.js";

await runService(
  "sink",
  process.argv,
  () => sinkConfigFromEnv(process.env),
  async (config: SinkConfig) => {
    const service = new SinkService(config);
    await service.start();
    return service;
  },
);
