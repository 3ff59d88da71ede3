import http from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import type { Logger } from "./logger.js";

export interface ServiceProbes {
  /** Ready to do its work: started, connected, not degraded. */
  ready(): boolean;
}

/**
 * `/healthz` (the process answers), `/readyz` (the service can do its work: 503 otherwise) and
 * Prometheus `/metrics` on one port. Port 0 picks a free one; `address()` says which.
 */
export class ServiceHttp {
  private readonly server: http.Server;

  constructor(
    private readonly metrics: Registry,
    private readonly probes: ServiceProbes,
    private readonly logger: Logger,
  ) {
    this.server = http.createServer((request, response) => void this.answer(request, response));
  }

  async listen(port: number, host = "0.0.0.0"): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(port, host, () => resolve());
    });
    const address = this.server.address() as AddressInfo;
    this.logger.info({ event: "http_listening", port: address.port }, "health and metrics endpoints up");
    return address;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async answer(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    const path = (request.url ?? "/").split("?")[0];
    if (path === "/healthz") return send(response, 200, "ok\n");
    if (path === "/readyz")
      return this.probes.ready() ? send(response, 200, "ready\n") : send(response, 503, "not ready\n");
    if (path === "/metrics") {
      try {
        return send(response, 200, await this.metrics.metrics(), this.metrics.contentType);
      } catch (error) {
        this.logger.error({ event: "metrics_failed", err: error }, "could not render metrics");
        return send(response, 500, "metrics failed\n");
      }
    }
    send(response, 404, "not found\n");
  }
}

function send(response: http.ServerResponse, status: number, body: string, type = "text/plain; charset=utf-8"): void {
  response.writeHead(status, { "content-type": type });
  response.end(body);
}
