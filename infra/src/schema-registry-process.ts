import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./free-port.js";
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
    const port = options.port ?? (await freePort());
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-registry-"));
    const process_ = ManagedProcess.start("schema-registry", binary, [], {
      cwd: dir,
      logFile: path.join(dir, "registry.log"),
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
    await waitUntil(`schema registry on ${registry.url}`, async () => {
      if (!process_.running) throw new Error(`schema registry exited:\n${process_.tail()}`);
      const response = await fetch(`${registry.url}/config`);
      return response.ok;
    });
    return registry;
  }

  async destroy(): Promise<void> {
    await this.process.stop();
    if (!infraConfig().MANDATE_KEEP_INFRA_DIRS) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
