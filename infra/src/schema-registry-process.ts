import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { exitedWhileStarting, freePort, startOnFreePorts } from "./free-port.js";
import { infraConfig } from "./infra-config.js";
import { ManagedProcess } from "./managed-process.js";
import { provisionSchemaRegistry } from "./schema-registry-provisioner.js";
import { waitUntil } from "./wait-until.js";

/** AxonOps Schema Registry with in-memory storage and the Confluent REST API; BACKWARD by default. */
export class SchemaRegistryProcess {
  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly process: ManagedProcess,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    return this.process.pid;
  }

  static async start(options: { port?: number } = {}): Promise<SchemaRegistryProcess> {
    const binary = await provisionSchemaRegistry();
    const startOne = async () => {
      const port = options.port ?? (await freePort());
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-registry-"));
      const logFile = path.join(dir, "registry.log");
      const process_ = ManagedProcess.start("schema-registry", binary, [], {
        cwd: dir,
        logFile,
        env: {
          ...process.env,
          SCHEMA_REGISTRY_HOST: "127.0.0.1",
          SCHEMA_REGISTRY_PORT: String(port),
          SCHEMA_REGISTRY_STORAGE_TYPE: "memory",
          SCHEMA_REGISTRY_COMPATIBILITY_LEVEL: "BACKWARD",
          SCHEMA_REGISTRY_LOG_LEVEL: "warn",
        },
      });
      const registry = new SchemaRegistryProcess(port, dir, process_);
      try {
        await waitUntil(`schema registry on ${registry.url}`, async () => {
          if (!process_.running) {
            throw exitedWhileStarting(`schema registry on ${registry.url} exited:\n${process_.tail()}`, [logFile]);
          }
          // A time limit on each probe, as for the broker's (kafka-broker.ts).
          const response = await fetch(`${registry.url}/config`, { signal: AbortSignal.timeout(3_000) });
          return response.ok;
        });
        return registry;
      } catch (error) {
        await registry.destroy();
        throw error;
      }
    };
    // Only a registry on a port of its own choosing starts again on a new one.
    return options.port === undefined ? startOnFreePorts(startOne) : startOne();
  }

  async destroy(): Promise<void> {
    await this.process.stop();
    if (!infraConfig().MANDATE_KEEP_INFRA_DIRS) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
