import { UsageError } from "./usage-error.js";

/** `value`: `--name v`, once; `values`: `--name v`, any number of times; `switch`: `--name` alone. */
export type FlagKind = "value" | "values" | "switch";

/** What a command's arguments said: its flags by name, and everything else in order. */
export class CliFlags {
  constructor(
    private readonly given: ReadonlyMap<string, string[]>,
    readonly positional: readonly string[],
  ) {}

  value(name: string): string | undefined {
    return this.given.get(name)?.[0];
  }

  values(name: string): readonly string[] {
    return this.given.get(name) ?? [];
  }

  has(name: string): boolean {
    return this.given.has(name);
  }

  /** A value that must be one of `allowed`; the first is the default. */
  choice<C extends string>(name: string, allowed: readonly [C, ...C[]]): C {
    const given = this.value(name);
    if (given === undefined) return allowed[0];
    if (!(allowed as readonly string[]).includes(given)) {
      throw new UsageError(`${name} is ${allowed.slice(0, -1).join(", ")} or ${allowed.at(-1)}`);
    }
    return given as C;
  }
}

/**
 * The one way every `mandate` command reads its arguments. Only the flags in `spec` are accepted: an
 * unknown option, a flag without its value, or a single-valued flag given twice is a usage error that
 * names it, followed by the command's usage. A lone `-` is positional (standard input).
 */
export function parseFlags(args: readonly string[], spec: Readonly<Record<string, FlagKind>>, usage: string): CliFlags {
  const given = new Map<string, string[]>();
  const positional: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (!arg.startsWith("-") || arg === "-") {
      positional.push(arg);
      continue;
    }
    const kind = Object.hasOwn(spec, arg) ? spec[arg] : undefined;
    if (kind === undefined) throw new UsageError(`unknown option ${arg}\n\n${usage}`);
    if (kind === "value" && given.has(arg)) throw new UsageError(`${arg} given twice\n\n${usage}`);
    if (kind === "switch") {
      given.set(arg, []);
      continue;
    }
    const value = args[i + 1];
    if (value === undefined) throw new UsageError(`${arg} needs a value\n\n${usage}`);
    i += 1;
    given.set(arg, [...(given.get(arg) ?? []), value]);
  }
  return new CliFlags(given, positional);
}
