import { afterEach, describe, expect, it } from "vitest";
import { MissingPrerequisiteError, requireCommand } from "../../infra/src/prerequisites.js";

describe("prerequisites", () => {
  const path = process.env.PATH;
  afterEach(() => {
    process.env.PATH = path;
  });

  it.each(["java", "mvn", "go"] as const)("names what to install when %s is missing", (tool) => {
    process.env.PATH = "/nonexistent";
    expect(() => requireCommand(tool)).toThrow(MissingPrerequisiteError);
    try {
      requireCommand(tool);
    } catch (error) {
      expect((error as Error).message).toMatch(new RegExp(`^${tool} is required .* Install`));
    }
  });
});
