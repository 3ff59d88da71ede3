import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import type { KafkaSecurity } from "@mandate/sdk/kafka/kafka-security";
import { brokerCertificates, type BrokerCertificates } from "./broker-certificates.js";

/** What a secured local broker is told: who may connect, and who passes every ACL check. */
export interface BrokerSecurityOptions {
  /** SCRAM-SHA-512 users the broker knows from its first start, name → password (KIP-900, at format time). */
  users: Readonly<Record<string, string>>;
  /** Users the authorizer never checks (`super.users`): the admin who applies the ACLs. Each must be in `users`. */
  superUsers: readonly string[];
}

/** The broker's own SCRAM user, which it uses on its inter-broker listener (transaction markers go there). */
const BROKER_USER = "mandate-broker";
const MECHANISM = "SCRAM-SHA-512";
const LISTENER = "SASL_SSL";

/**
 * A broker that speaks only TLS with SASL/SCRAM to its clients and decides every request with the KRaft
 * `StandardAuthorizer`: no ACL, no access. The controller listener stays on loopback but speaks TLS
 * with client certificates, so its principal is the broker's certificate and not an anonymous one: a
 * local process without the broker's key cannot use it (clients may bootstrap to controllers, KIP-919).
 */
export class BrokerSecurity {
  private constructor(
    readonly options: BrokerSecurityOptions,
    readonly certificates: BrokerCertificates,
    private readonly brokerPassword: string,
  ) {}

  /** Generates the certificates and the broker's own password into `dir`, or reads those a previous start left. */
  static async prepare(dir: string, options: BrokerSecurityOptions): Promise<BrokerSecurity> {
    const unknown = options.superUsers.filter((name) => !Object.hasOwn(options.users, name));
    if (unknown.length > 0) throw new Error(`broker security: super users without a password: ${unknown.join(", ")}`);
    if (Object.hasOwn(options.users, BROKER_USER))
      throw new Error(`broker security: ${BROKER_USER} is the broker's own user`);
    for (const [name, password] of Object.entries(options.users)) {
      // The storage tool's `[name=…,password=…]` syntax has no escaping for these.
      if (!/^[A-Za-z0-9._-]+$/.test(name) || !/^[A-Za-z0-9._~+/=-]+$/.test(password)) {
        throw new Error(`broker security: user ${name}: names and passwords are letters, digits and ._-~+/= only`);
      }
    }
    const certificates = await brokerCertificates(path.join(dir, "tls"));
    const passwordFile = path.join(dir, "tls", "broker-scram-password");
    if (!fs.existsSync(passwordFile)) {
      fs.writeFileSync(passwordFile, crypto.randomBytes(24).toString("hex"), { mode: 0o600 });
    }
    return new BrokerSecurity(options, certificates, fs.readFileSync(passwordFile, "utf8").trim());
  }

  /** `kafka-storage format` arguments that store every user's SCRAM credential before the first start. */
  formatArguments(): string[] {
    const users = { ...this.options.users, [BROKER_USER]: this.brokerPassword };
    return Object.entries(users).flatMap(([name, password]) => [
      "--add-scram",
      `${MECHANISM}=[name=${name},password=${password}]`,
    ]);
  }

  /**
   * The listener, TLS and authorizer settings. NOTE: they come after the plaintext ones in the same
   * file, and `java.util.Properties` keeps the last value of a repeated key: these replace them.
   */
  properties(port: number, controllerPort: number): string[] {
    const { caFile, keystoreFile, brokerDistinguishedName } = this.certificates;
    const superUsers = [...this.options.superUsers, BROKER_USER, brokerDistinguishedName].map((u) => `User:${u}`);
    return [
      `listeners=${LISTENER}://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=${LISTENER}://127.0.0.1:${port}`,
      `listener.security.protocol.map=${LISTENER}:SASL_SSL,CONTROLLER:SSL`,
      `inter.broker.listener.name=${LISTENER}`,
      `sasl.enabled.mechanisms=${MECHANISM}`,
      `sasl.mechanism.inter.broker.protocol=${MECHANISM}`,
      `listener.name.${LISTENER.toLowerCase()}.${MECHANISM.toLowerCase()}.sasl.jaas.config=` +
        `org.apache.kafka.common.security.scram.ScramLoginModule required username="${BROKER_USER}" password="${this.brokerPassword}";`,
      // PEM files as they are (KIP-651): no JKS conversion, and the CA is what clients trust too.
      "ssl.keystore.type=PEM",
      `ssl.keystore.location=${keystoreFile}`,
      "ssl.truststore.type=PEM",
      `ssl.truststore.location=${caFile}`,
      "listener.name.controller.ssl.client.auth=required",
      "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer",
      `super.users=${superUsers.join(";")}`,
      "allow.everyone.if.no.acl.found=false",
    ];
  }

  /** How `user` connects: TLS trusting the broker's CA, SCRAM with the user's password. */
  clientSecurity(user: string): KafkaSecurity {
    const password = this.options.users[user];
    if (password === undefined) throw new Error(`broker security: no user ${user}`);
    return {
      tls: { caFile: this.certificates.caFile },
      sasl: { mechanism: "scram-sha-512", username: user, password },
    };
  }

  /** The first super user's client security: what the launcher's own readiness probe connects as. */
  adminSecurity(): KafkaSecurity {
    const admin = this.options.superUsers[0];
    if (admin === undefined) throw new Error("broker security: no super user to probe the broker with");
    return this.clientSecurity(admin);
  }
}
