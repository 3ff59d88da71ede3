import { describe, expect, it } from "vitest";
import { parseFlags } from "../../services/cli/src/cli-flags.js";
import { UsageError } from "../../services/cli/src/usage-error.js";

const spec = { "--agent": "value", "--param": "values", "--jsonl": "switch", "--format": "value" } as const;

function usageErrorOf(args: string[]): string {
  try {
    parseFlags(args, spec, "usage: test");
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error("expected a usage error");
}

describe("command-line flags", () => {
  it("reads values, repeated values, switches and positionals in any order", () => {
    const flags = parseFlags(
      ["a.json", "--param", "k=1", "--jsonl", "--agent", "bot.yaml", "--param", "k2=2", "-"],
      spec,
      "usage",
    );
    expect(flags.value("--agent")).toBe("bot.yaml");
    expect(flags.values("--param")).toEqual(["k=1", "k2=2"]);
    expect(flags.has("--jsonl")).toBe(true);
    expect(flags.has("--format")).toBe(false);
    expect(flags.positional).toEqual(["a.json", "-"]);
    expect(flags.choice("--format", ["table", "json"])).toBe("table");
  });

  it("refuses unknown options, missing values, a single value given twice and a choice out of range", () => {
    expect(usageErrorOf(["--agnet", "x"])).toBe("unknown option --agnet\n\nusage: test");
    expect(usageErrorOf(["--agent"])).toBe("--agent needs a value\n\nusage: test");
    expect(usageErrorOf(["--agent", "a", "--agent", "b"])).toBe("--agent given twice\n\nusage: test");
    const flags = parseFlags(["--format", "xml"], spec, "usage");
    expect(() => flags.choice("--format", ["table", "json", "csv"])).toThrow("--format is table, json or csv");
  });
});
