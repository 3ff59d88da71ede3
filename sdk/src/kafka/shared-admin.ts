import type { Admin, Kafka } from "kafkajs";

/**
 * One admin client, connected on first use and kept until `close`: for readers that ask for offsets
 * often (before every executor run, at every catch-up), where a new connection each time would cost a
 * round of connects for one request. A failed connect is not remembered: the next call tries again.
 */
export class SharedAdmin {
  private admin: Promise<Admin> | undefined;

  constructor(private readonly kafka: Kafka) {}

  async use<R>(work: (admin: Admin) => Promise<R>): Promise<R> {
    this.admin ??= this.connect();
    return work(await this.admin);
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await (await admin?.catch(() => undefined))?.disconnect();
  }

  private async connect(): Promise<Admin> {
    const admin = this.kafka.admin();
    try {
      await admin.connect();
    } catch (error) {
      this.admin = undefined;
      throw error;
    }
    return admin;
  }
}
