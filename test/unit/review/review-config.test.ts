import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { reviewConfigFromEnv } from "@mandate/review/review-config";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-review-config-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const tokensFile = path.join(dir, "reviewers.yaml");
fs.writeFileSync(tokensFile, "[]\n");

describe("review service configuration", () => {
  it("defaults: a 15-minute deadline, read back an hour beyond it at start, the API on 8088", () => {
    const config = reviewConfigFromEnv({ MANDATE_REVIEW_TOKENS_FILE: tokensFile, MANDATE_REVIEW_ID: "review-a" });
    expect(config).toMatchObject({
      reviewServiceId: "review-a",
      reviewDeadlineSeconds: 900,
      lookbackSeconds: 900 + 3600,
      httpPort: 8088,
      decisionTtlSeconds: 60,
    });
  });

  it("takes the deadline from MANDATE_REVIEW_DEADLINE_SECONDS", () => {
    const config = reviewConfigFromEnv({
      MANDATE_REVIEW_TOKENS_FILE: tokensFile,
      MANDATE_REVIEW_DEADLINE_SECONDS: "30",
    });
    expect(config.reviewDeadlineSeconds).toBe(30);
    expect(config.lookbackSeconds).toBe(3630);
  });

  it("refuses a lookback shorter than the deadline, and a missing tokens file, together", () => {
    expect(() =>
      reviewConfigFromEnv({
        MANDATE_REVIEW_TOKENS_FILE: path.join(dir, "missing.yaml"),
        MANDATE_REVIEW_DEADLINE_SECONDS: "600",
        MANDATE_REVIEW_LOOKBACK_SECONDS: "60",
      }),
    ).toThrow(/tokensFile: no such file/);
    expect(() =>
      reviewConfigFromEnv({
        MANDATE_REVIEW_TOKENS_FILE: tokensFile,
        MANDATE_REVIEW_DEADLINE_SECONDS: "600",
        MANDATE_REVIEW_LOOKBACK_SECONDS: "60",
      }),
    ).toThrow(/lookbackSeconds: must be at least reviewDeadlineSeconds/);
  });

  it("reads the tools that need two reviewers from MANDATE_REVIEW_TWO_PERSON_TOOLS; none by default", () => {
    expect(reviewConfigFromEnv({ MANDATE_REVIEW_TOKENS_FILE: tokensFile }).twoPersonTools).toEqual([]);
    const config = reviewConfigFromEnv({
      MANDATE_REVIEW_TOKENS_FILE: tokensFile,
      MANDATE_REVIEW_TWO_PERSON_TOOLS: " wire_transfer, delete_account ,",
    });
    expect(config.twoPersonTools).toEqual(["wire_transfer", "delete_account"]);
  });
});
