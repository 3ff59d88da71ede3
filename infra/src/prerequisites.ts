import { spawnSync } from "node:child_process";

/** A tool the launcher needs is not installed: the message names exactly what to install. */
export class MissingPrerequisiteError extends Error {
  readonly retriable = false;
  constructor(
    readonly tool: string,
    howToInstall: string,
  ) {
    super(`${tool} is required but was not found on PATH. ${howToInstall}`);
    this.name = "MissingPrerequisiteError";
  }
}

const installHints: Record<string, string> = {
  java: "Install Java 17 or newer (Debian: apt-get install openjdk-17-jre-headless), or run with Docker (docker compose up).",
  mvn: "Install Maven (Debian: apt-get install maven); it resolves the Kafka broker jars from Maven Central.",
  openssl:
    "Install OpenSSL (Debian: apt-get install openssl); it makes the TLS certificates of a secured local broker.",
  go: "Install Go 1.22 or newer (https://go.dev/doc/install or Debian: apt-get install golang); it builds the schema registry.",
};

export function hasCommand(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

export function requireCommand(command: keyof typeof installHints): void {
  if (!hasCommand(command)) throw new MissingPrerequisiteError(command, installHints[command] ?? "");
}

export function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}
