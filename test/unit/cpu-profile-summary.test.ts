import { describe, expect, it } from "vitest";
import { cpuGroupOf, summariseCpuProfile, type CpuProfile } from "../bench/cpu-profile-summary.js";

const frame = (id: number, functionName: string, url: string) => ({
  id,
  callFrame: { functionName, url, lineNumber: 9 },
});

describe("CPU profile summary", () => {
  it("charges each sample's time to its function's group and leaves idle time out", () => {
    const profile: CpuProfile = {
      nodes: [
        frame(1, "(idle)", ""),
        frame(2, "signOneShot", "node:internal/crypto/sig"),
        frame(3, "send", "file:///repo/node_modules/kafkajs/src/network/connection.js"),
        frame(4, "writeBuffer", ""),
        frame(5, "assessAlignment", "file:///repo/services/validator/src/purpose-alignment/assess-alignment.ts"),
        frame(6, "decideAndCommit", "file:///repo/services/validator/src/validator-service.ts"),
        frame(7, "(garbage collector)", ""),
      ],
      // 1,000 µs idle, then 400 signing, 100 + 100 Kafka, 200 checks, 100 the service, 100 GC.
      samples: [1, 2, 2, 3, 4, 5, 6, 7],
      timeDeltas: [1000, 200, 200, 100, 100, 200, 100, 100],
    };
    const summary = summariseCpuProfile(profile, 2);
    expect(summary.activeMs).toBeCloseTo(1.0);
    expect(Object.fromEntries(summary.groups.map((g) => [g.group, g.share]))).toEqual({
      signing: 0.4,
      "kafka client": 0.2,
      "decision checks": 0.2,
      other: 0.1,
      "garbage collection": 0.1,
    });
    expect(summary.top).toEqual([
      { fn: "signOneShot crypto/sig:10", ms: 0.4, share: 0.4 },
      { fn: "assessAlignment purpose-alignment/assess-alignment.ts:10", ms: 0.2, share: 0.2 },
    ]);
  });

  it("keeps the validator's own service code and state out of the decision checks", () => {
    const validator = "file:///repo/services/validator/src";
    expect(cpuGroupOf("decideTaken", `${validator}/validator-service.ts`)).toBe("other");
    expect(cpuGroupOf("encodeAgentRecord", `${validator}/validator-state/agent-state.ts`)).toBe("other");
    expect(cpuGroupOf("takeInRecord", `${validator}/action-intake.ts`)).toBe("other");
    expect(cpuGroupOf("checkShape", `${validator}/payload-safety/shape.ts`)).toBe("decision checks");
  });
});
