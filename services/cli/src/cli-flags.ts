import { parseArgs, type ParseArgsConfig } from "node:util";
import { HelpRequested } from "./help-requested.js";
import { UsageError } from "./usage-error.js";

/** `value`: `--name v`, once; `values`: `--name v`, any number of times; `switch`: `--name` alone, once. */
export type FlagKind = "value" | "values" | "switch";

/** A flag's kind, with its one-letter alias (`-m` for `--comment`) where it has one. */
export type FlagSpec = FlagKind | { kind: FlagKind; short: string };

/** The flags every command takes besides its own: `--help` and `-h` print its usage. */
const HELP_FLAG = "help";

/** What a command's arguments said: its flags by name (without the dashes), and everything else in order. */
export class CliFlags<Name extends string> {
  constructor(
    private readonly given: ReadonlyMap<string, string[]>,
    readonly positional: readonly string[],
  ) {}

  value(name: Name): string | undefined {
    return this.given.get(name)?.[0];
  }

  values(name: Name): readonly string[] {
    return this.given.get(name) ?? [];
  }

  has(name: Name): boolean {
    return this.given.has(name);
  }

  /** A value that must be one of `allowed`; the first is the default. */
  choice<C extends string>(name: Name, allowed: readonly [C, ...C[]]): C {
    const given = this.value(name);
    if (given === undefined) return allowed[0];
    if (!(allowed as readonly string[]).includes(given)) {
      throw new UsageError(`--${name} is ${allowed.slice(0, -1).join(", ")} or ${allowed.at(-1)}, not ${given}`);
    }
    return given as C;
  }
}

/**
 * The one way every `mandate` command reads its arguments, tokenised by `node:util` `parseArgs`.
 * `--help` or `-h` anywhere asks for `usage` (HelpRequested). Otherwise only the flags in `spec` are
 * accepted: an unknown option, a flag without its value, a value given to a switch, or a flag given
 * twice that is not a `values` flag is a usage error naming it, followed by the usage. A lone `-` is
 * positional (standard input), and so is everything after `--`.
 *
 * NOTE: parseArgs runs with `strict: false` and the checks parseArgs' strict mode would make are made
 * here on its tokens, for two reasons: strict mode accepts a single-valued flag given twice (the last
 * one silently wins), and its messages are written for the programmer, not for whoever typed the command.
 */
export function parseFlags<const Spec extends Readonly<Record<string, FlagSpec>>>(
  args: readonly string[],
  spec: Spec,
  usage: string,
): CliFlags<Extract<keyof Spec, string>> {
  const kinds = new Map<string, FlagKind>();
  const options: NonNullable<ParseArgsConfig["options"]> = { [HELP_FLAG]: { type: "boolean", short: "h" } };
  for (const [name, flag] of Object.entries(spec)) {
    const { kind, short } = typeof flag === "string" ? { kind: flag, short: undefined } : flag;
    kinds.set(name, kind);
    options[name] = { type: kind === "switch" ? "boolean" : "string", ...(short === undefined ? {} : { short }) };
  }
  const { tokens } = parseArgs({ args: [...args], options, strict: false, allowPositionals: true, tokens: true });
  if (tokens.some((token) => token.kind === "option" && token.name === HELP_FLAG)) throw new HelpRequested(usage);

  const refuse = (problem: string) => new UsageError(`${problem}\n\n${usage}`);
  const given = new Map<string, string[]>();
  const positional: string[] = [];
  for (const token of tokens) {
    if (token.kind === "positional") positional.push(token.value);
    if (token.kind !== "option") continue;
    const kind = kinds.get(token.name);
    if (kind === undefined) throw refuse(`unknown option ${token.rawName}`);
    if (kind !== "values" && given.has(token.name)) throw refuse(`--${token.name} given twice`);
    if (kind === "switch") {
      if (token.value !== undefined) throw refuse(`${token.rawName} takes no value (got ${token.value})`);
      given.set(token.name, []);
      continue;
    }
    if (token.value === undefined) throw refuse(`${token.rawName} needs a value`);
    // parseArgs takes the next argument as the value whatever it is; one that looks like an option
    // (`--agent --jsonl`) is far more likely a forgotten value than a value, so it needs `--agent=-x`.
    if (!token.inlineValue && /^-./.test(token.value)) {
      const inline = `--${token.name}=${token.value}`;
      throw refuse(
        `${token.rawName} needs a value, not the option ${token.value} (a value that starts with - is written ${inline})`,
      );
    }
    given.set(token.name, [...(given.get(token.name) ?? []), token.value]);
  }
  return new CliFlags(given, positional);
}

/**
 * The subcommand that `args` start with (`query` in `mandate trail query …`) and the arguments after
 * it. `--help`, `-h` or `help` in its place asks for the command's usage; a missing or unknown
 * subcommand is a usage error.
 */
export function parseSubcommand<const Sub extends string>(
  command: string,
  args: readonly string[],
  subcommands: readonly [Sub, ...Sub[]],
  usage: string,
): [Sub, string[]] {
  const [sub, ...rest] = args;
  if (sub === "--help" || sub === "-h" || sub === "help") throw new HelpRequested(usage);
  const names = `${subcommands.slice(0, -1).join(", ")} or ${subcommands.at(-1)}`;
  if (sub === undefined) throw new UsageError(`${command} needs a command: ${names}\n\n${usage}`);
  if (!(subcommands as readonly string[]).includes(sub)) {
    throw new UsageError(`unknown command: ${command} ${sub} (it is ${names})\n\n${usage}`);
  }
  return [sub as Sub, rest];
}
