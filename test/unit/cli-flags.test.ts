import { describe, expect, it } from "vitest";
import { parseFlags, parseSubcommand } from "@mandate/cli/cli-flags";
import { HelpRequested } from "@mandate/cli/help-requested";
import { UsageError } from "@mandate/cli/usage-error";

const spec = {
  agent: "value",
  param: "values",
  jsonl: "switch",
  format: "value",
  comment: { kind: "value", short: "m" },
} as const;

function usageErrorOf(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error("expected a usage error");
}

function usageShownBy(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    if (error instanceof HelpRequested) return error.usage;
    throw error;
  }
  throw new Error("expected the usage to be asked for");
}

const flagErrorOf = (args: string[]) => usageErrorOf(() => parseFlags(args, spec, "usage: test"));

describe("command-line flags", () => {
  it("reads values, repeated values, switches, aliases and positionals in any order", () => {
    const flags = parseFlags(
      ["a.json", "--param", "k=1", "--jsonl", "--agent", "bot.yaml", "--param=k2=2", "-m", "why", "-", "--", "--x"],
      spec,
      "usage",
    );
    expect(flags.value("agent")).toBe("bot.yaml");
    expect(flags.values("param")).toEqual(["k=1", "k2=2"]);
    expect(flags.has("jsonl")).toBe(true);
    expect(flags.value("comment")).toBe("why");
    expect(flags.has("format")).toBe(false);
    expect(flags.positional).toEqual(["a.json", "-", "--x"]);
    expect(flags.choice("format", ["table", "json"])).toBe("table");
  });

  it("refuses unknown options, missing values, a value for a switch, a flag given twice and a choice out of range", () => {
    expect(flagErrorOf(["--agnet", "x"])).toBe("unknown option --agnet\n\nusage: test");
    expect(flagErrorOf(["-x"])).toBe("unknown option -x\n\nusage: test");
    expect(flagErrorOf(["--agent"])).toBe("--agent needs a value\n\nusage: test");
    expect(flagErrorOf(["--agent", "--jsonl"])).toBe(
      "--agent needs a value, not the option --jsonl (a value that starts with - is written --agent=--jsonl)\n\nusage: test",
    );
    expect(flagErrorOf(["--jsonl=yes"])).toBe("--jsonl takes no value (got yes)\n\nusage: test");
    expect(flagErrorOf(["--agent", "a", "--agent", "b"])).toBe("--agent given twice\n\nusage: test");
    expect(flagErrorOf(["--jsonl", "--jsonl"])).toBe("--jsonl given twice\n\nusage: test");
    expect(flagErrorOf(["-m", "a", "--comment", "b"])).toBe("--comment given twice\n\nusage: test");
    const flags = parseFlags(["--format", "xml"], spec, "usage");
    expect(() => flags.choice("format", ["table", "json", "csv"])).toThrow("--format is table, json or csv, not xml");
  });

  it("takes a value that starts with a dash only as --name=value, and a lone - as a positional", () => {
    expect(parseFlags(["--agent=-odd"], spec, "usage").value("agent")).toBe("-odd");
    expect(parseFlags(["--agent", "-"], spec, "usage").value("agent")).toBe("-");
  });

  it("hands the usage up on --help or -h, wherever it is and whatever else is wrong", () => {
    for (const args of [["--help"], ["-h"], ["--agnet", "x", "--help"], ["a.json", "--jsonl", "-h"]]) {
      expect(usageShownBy(() => parseFlags(args, spec, "usage: test"))).toBe("usage: test");
    }
  });
});

describe("subcommands", () => {
  const parse = (args: string[]) => parseSubcommand("trail", args, ["query", "verify"], "usage: trail");

  it("splits the subcommand from its arguments", () => {
    expect(parse(["query", "top-reasons", "--format", "csv"])).toEqual(["query", ["top-reasons", "--format", "csv"]]);
  });

  it("hands the usage up for --help, -h or help in its place", () => {
    for (const help of ["--help", "-h", "help"]) {
      expect(usageShownBy(() => parse([help]))).toBe("usage: trail");
    }
  });

  it("names the subcommands when one is missing or unknown", () => {
    expect(usageErrorOf(() => parse([]))).toBe("trail needs a command: query or verify\n\nusage: trail");
    expect(usageErrorOf(() => parse(["qeury"]))).toBe(
      "unknown command: trail qeury (it is query or verify)\n\nusage: trail",
    );
  });
});
