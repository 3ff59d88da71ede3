import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { provisionClickHouseServer } from "./clickhouse-provisioner.js";
import { exitedWhileStarting, freePort, launched, startOnFreePorts } from "./free-port.js";
import { infraConfig } from "./infra-config.js";
import { ManagedProcess } from "./managed-process.js";
import { waitUntil } from "./wait-until.js";

/**
 * A private ClickHouse server (Debian's 18.16 in tests) from a generated config in a temporary
 * directory: its own ports, data and logs, nothing shared with a system-wide installation.
 */
export class ClickHouseServerProcess {
  private process: ManagedProcess | undefined;

  private constructor(
    readonly httpPort: number,
    readonly tcpPort: number,
    readonly dir: string,
    private readonly binary: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  static async start(): Promise<ClickHouseServerProcess> {
    const binary = await provisionClickHouseServer();
    return startOnFreePorts(async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-clickhouse-"));
      const server = new ClickHouseServerProcess(await freePort(), await freePort(), dir, binary);
      fs.writeFileSync(path.join(dir, "config.xml"), server.config());
      fs.writeFileSync(path.join(dir, "users.xml"), usersConfig());
      return launched(server, () => server.launch());
    });
  }

  /** The server's process id while it runs (the bench reads its CPU time). */
  get pid(): number | undefined {
    return this.process?.running ? this.process.pid : undefined;
  }

  /** Stops the server, keeping its data, so a fault test can bring it back with `restart`. */
  async stop(): Promise<void> {
    await this.process?.stop();
  }

  async restart(): Promise<void> {
    if (this.process?.running) throw new Error("clickhouse-server is already running");
    await this.launch();
  }

  async destroy(): Promise<void> {
    await this.stop();
    if (!infraConfig().MANDATE_KEEP_INFRA_DIRS) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private async launch(): Promise<void> {
    const process_ = ManagedProcess.start(
      "clickhouse-server",
      this.binary,
      [`--config-file=${path.join(this.dir, "config.xml")}`],
      { cwd: this.dir, logFile: path.join(this.dir, "stdout.log"), stopGraceMs: 20_000 },
    );
    this.process = process_;
    await waitUntil(`clickhouse-server on ${this.url}`, async () => {
      if (!process_.running) {
        throw exitedWhileStarting(
          `clickhouse-server on ${this.url} exited; see ${this.dir}/error.log\n${process_.tail()}`,
          [path.join(this.dir, "error.log"), path.join(this.dir, "stdout.log")],
        );
      }
      // A time limit on each probe: whatever holds the port when the server could not bind it may accept
      // the connection and never answer, and each probe must end for the next one to see the exit.
      const response = await fetch(`${this.url}/ping`, { signal: AbortSignal.timeout(3_000) });
      return response.ok;
    });
  }

  // `<yandex>` is the root element 18.16 understands; newer servers still accept it.
  private config(): string {
    const d = this.dir;
    return `<yandex>
  <logger><level>warning</level><log>${d}/server.log</log><errorlog>${d}/error.log</errorlog><console>0</console></logger>
  <http_port>${this.httpPort}</http_port>
  <tcp_port>${this.tcpPort}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>${d}/data/</path>
  <tmp_path>${d}/tmp/</tmp_path>
  <user_files_path>${d}/user_files/</user_files_path>
  <users_config>${d}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size>
</yandex>
`;
  }
}

/**
 * The read-only analyst login, as docker-compose creates it (infra/clickhouse/init/analyst.sql): it
 * may read the trail database and nothing else, and may not write. `readonly = 2` rather than 1 so it
 * may still set query settings (output formats), which `mandate trail query` does; it still cannot
 * turn readonly off. The password is for a server that
 * listens on loopback only; set a real one wherever the trail holds real decisions.
 */
export const ANALYST = { user: "analyst", password: "analyst", database: "mandate" } as const;

function usersConfig(): string {
  return `<yandex>
  <profiles>
    <default><max_memory_usage>4000000000</max_memory_usage></default>
    <readonly><readonly>1</readonly></readonly>
    <analyst><readonly>2</readonly></analyst>
  </profiles>
  <users>
    <default><password></password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>default</profile><quota>default</quota></default>
    <${ANALYST.user}><password>${ANALYST.password}</password><networks><ip>127.0.0.1</ip><ip>::1</ip></networks><profile>analyst</profile><quota>default</quota><allow_databases><database>${ANALYST.database}</database></allow_databases></${ANALYST.user}>
  </users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors><result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
`;
}
