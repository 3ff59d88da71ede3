import fs from "node:fs";
import net from "node:net";
import { WaitAbandoned } from "./wait-until.js";

/** Asks the kernel for a free loopback port. Another process could take it before we bind: see startOnFreePorts. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("could not read the address of a probe socket"));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** A process that exited while starting because a port it was given was already bound. */
export class PortTaken extends WaitAbandoned {}

/**
 * The error for a process that exited while starting: PortTaken when one of its logs says a port was
 * already bound (Java, Go and ClickHouse all say "address already in use"), else a WaitAbandoned.
 */
export function exitedWhileStarting(message: string, logFiles: string[]): WaitAbandoned {
  const taken = logFiles.some((file) => {
    try {
      return /address already in use/i.test(fs.readFileSync(file, "utf8"));
    } catch {
      return false;
    }
  });
  return taken ? new PortTaken(message) : new WaitAbandoned(message);
}

/**
 * Runs `launch`, the start of `local`; when it fails, stops `local`, and removes it (its directory)
 * when it found its port taken and will be started again elsewhere. Otherwise its logs are kept for
 * the error to point to.
 */
export async function launched<T extends { stop(): Promise<void>; destroy(): Promise<void> }>(
  local: T,
  launch: () => Promise<void>,
): Promise<T> {
  try {
    await launch();
    return local;
  } catch (error) {
    if (error instanceof PortTaken) await local.destroy();
    else await local.stop();
    throw error;
  }
}

/**
 * Starts a process on ports freePort chose, and again on new ones when a chosen port was taken:
 * freePort only asks the kernel for a free port, and a process starting beside this one (the parts of
 * a stack start side by side) can bind it first. `start` picks its ports, cleans up after itself when
 * it fails, and throws PortTaken for a taken port; any other failure, or a third PortTaken, is thrown.
 */
export async function startOnFreePorts<T>(start: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await start();
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt === 3) throw error;
    }
  }
}
