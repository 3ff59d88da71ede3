import { describe, expect, it } from "vitest";
import { randomClusterId } from "../../infra/src/kafka-cluster.js";

describe("a KRaft cluster id", () => {
  it("is 16 bytes in URL-safe base64 and never starts with '-', which kafka-storage reads as an option", () => {
    const ids = Array.from({ length: 5000 }, randomClusterId);
    expect(ids.filter((id) => id.startsWith("-"))).toEqual([]);
    expect(ids.every((id) => /^[A-Za-z0-9_-]{22}$/.test(id))).toBe(true);
  });
});
