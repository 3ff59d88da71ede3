import net from "node:net";

/** Asks the kernel for a free loopback port. Another process could take it before we bind; callers retry start on failure. */
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
