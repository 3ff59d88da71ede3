import { runService } from "@mandate/common/run-service";
import { reviewConfigFromEnv, type ReviewConfig } from "./review-config.js";
import { ReviewService } from "./review-service.js";
import { ReviewerTokens } from "./reviewer-tokens.js";

await runService(
  "review",
  process.argv,
  () => {
    const config = reviewConfigFromEnv(process.env);
    // Read here too, so --check-config reports a bad tokens file (never the hashes: only the path is printed).
    ReviewerTokens.fromFile(config.tokensFile);
    return config;
  },
  async (config: ReviewConfig) => {
    const service = new ReviewService(config);
    await service.start();
    return service;
  },
);
