import { execFileSync } from "node:child_process";
import fs from "node:fs";
import https from "node:https";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { openClickHouse } from "@mandate/common/clickhouse-connection";
import { ConfigError, openContracts, DEFAULT_TOPICS } from "@mandate/contracts";
import { kafkaClientSecurity } from "@mandate/sdk/kafka/kafka-security";
import { createLogger } from "@mandate/common/logger";
import { runService } from "@mandate/common/run-service";
import { connectionConfigSchema, connectionSettingsFromEnv, parseConfig } from "@mandate/common/service-config";
import { trailLocationFromEnv, trailLocationSchema } from "@mandate/common/trail-config";
import { reviewConfigFromEnv } from "@mandate/review/review-config";
import { sinkConfigFromEnv } from "@mandate/sink/sink-config";
import { validatorConfigFromEnv } from "@mandate/validator/validator-config";

/** A self-signed certificate for 127.0.0.1, made with openssl: the CA the clients are given. */
interface Certificate {
  certFile: string;
  keyFile: string;
}

let dir: string;
let server: Certificate;
/** A second self-signed certificate: trusting it must not make the server's acceptable. */
let stranger: Certificate;

function selfSigned(name: string): Certificate {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"],
      ...["-keyout", keyFile, "-out", certFile, "-subj", `/CN=${name}`],
      ...["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
    ],
    { stdio: "ignore" },
  );
  return { certFile, keyFile };
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mandate-connection-security-"));
  server = selfSigned("server");
  stranger = selfSigned("stranger");
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function connectionFromEnv(env: NodeJS.ProcessEnv) {
  return parseConfig("test", connectionConfigSchema, connectionSettingsFromEnv(env));
}

function configErrorOf(parse: () => unknown): string {
  let error: unknown;
  try {
    parse();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  return (error as Error).message;
}

describe("reading the secured connection from the environment", () => {
  it("reads every Kafka and registry variable", () => {
    const connection = connectionFromEnv({
      MANDATE_KAFKA_BROKERS: "kafka-1.internal:9093,kafka-2.internal:9093",
      MANDATE_KAFKA_TLS: "true",
      MANDATE_KAFKA_TLS_CA_FILE: "/etc/mandate/kafka-ca.pem",
      MANDATE_KAFKA_TLS_CERT_FILE: "/etc/mandate/client.pem",
      MANDATE_KAFKA_TLS_KEY_FILE: "/etc/mandate/client.key",
      MANDATE_KAFKA_SASL_MECHANISM: "SCRAM-SHA-512",
      MANDATE_KAFKA_SASL_USERNAME: "mandate-validator",
      MANDATE_KAFKA_SASL_PASSWORD: "kafka-pass",
      MANDATE_SCHEMA_REGISTRY_URL: "https://registry.internal:8081",
      MANDATE_SCHEMA_REGISTRY_USERNAME: "mandate",
      MANDATE_SCHEMA_REGISTRY_PASSWORD: "registry-pass",
      MANDATE_SCHEMA_REGISTRY_CA_FILE: "/etc/mandate/registry-ca.pem",
    });
    expect(connection).toMatchObject({
      kafkaBrokers: ["kafka-1.internal:9093", "kafka-2.internal:9093"],
      kafkaSecurity: {
        tls: {
          caFile: "/etc/mandate/kafka-ca.pem",
          certFile: "/etc/mandate/client.pem",
          keyFile: "/etc/mandate/client.key",
        },
        sasl: { mechanism: "scram-sha-512", username: "mandate-validator", password: "kafka-pass" },
      },
      schemaRegistryUrl: "https://registry.internal:8081",
      schemaRegistryAuth: { username: "mandate", password: "registry-pass" },
      schemaRegistryTls: { caFile: "/etc/mandate/registry-ca.pem" },
    });
  });

  it("is plaintext and unauthenticated when nothing is set, and TLS is implied by a file or asked for alone", () => {
    expect(connectionFromEnv({})).toMatchObject({
      kafkaSecurity: { tls: null, sasl: null },
      schemaRegistryAuth: null,
      schemaRegistryTls: null,
    });
    expect(connectionFromEnv({ MANDATE_KAFKA_TLS_CA_FILE: "/ca.pem" }).kafkaSecurity.tls).toEqual({
      caFile: "/ca.pem",
    });
    // TLS with the system CAs: a managed cluster with a public certificate.
    expect(connectionFromEnv({ MANDATE_KAFKA_TLS: "TRUE" }).kafkaSecurity.tls).toEqual({});
    expect(
      connectionFromEnv({ MANDATE_KAFKA_TLS: "false", MANDATE_KAFKA_TLS_CA_FILE: "/ca.pem" }).kafkaSecurity.tls,
    ).toBe(null);
    expect(
      connectionFromEnv({
        MANDATE_KAFKA_SASL_MECHANISM: "plain",
        MANDATE_KAFKA_SASL_USERNAME: "u",
        MANDATE_KAFKA_SASL_PASSWORD: "p",
      }).kafkaSecurity,
    ).toEqual({ tls: null, sasl: { mechanism: "plain", username: "u", password: "p" } });
  });

  it("refuses a mechanism it does not speak, naming the variable", () => {
    const message = configErrorOf(() =>
      connectionFromEnv({
        MANDATE_KAFKA_SASL_MECHANISM: "GSSAPI",
        MANDATE_KAFKA_SASL_USERNAME: "u",
        MANDATE_KAFKA_SASL_PASSWORD: "p",
      }),
    );
    expect(message).toMatch(/kafkaSecurity\.sasl\.mechanism: .*MANDATE_KAFKA_SASL_MECHANISM/);
  });

  it("refuses a client certificate without its key, half-set credentials, and a TLS flag that is not true or false", () => {
    expect(configErrorOf(() => connectionFromEnv({ MANDATE_KAFKA_TLS_CERT_FILE: "/client.pem" }))).toContain(
      "MANDATE_KAFKA_TLS_KEY_FILE",
    );
    expect(
      configErrorOf(() =>
        connectionFromEnv({ MANDATE_KAFKA_SASL_MECHANISM: "scram-sha-256", MANDATE_KAFKA_SASL_USERNAME: "u" }),
      ),
    ).toContain("MANDATE_KAFKA_SASL_PASSWORD");
    expect(configErrorOf(() => connectionFromEnv({ MANDATE_SCHEMA_REGISTRY_PASSWORD: "p" }))).toContain(
      "MANDATE_SCHEMA_REGISTRY_USERNAME",
    );
    expect(configErrorOf(() => connectionFromEnv({ MANDATE_KAFKA_TLS: "yes" }))).toContain("MANDATE_KAFKA_TLS");
  });

  it("reads a ClickHouse server over https with its user, password and CA, and refuses a CA for http", () => {
    const trail = parseConfig(
      "test",
      trailLocationSchema,
      trailLocationFromEnv({
        CLICKHOUSE_URL: "https://clickhouse.internal:8443",
        CLICKHOUSE_USER: "mandate_writer",
        CLICKHOUSE_PASSWORD: "clickhouse-pass",
        CLICKHOUSE_CA_FILE: "/etc/mandate/clickhouse-ca.pem",
      }),
    );
    expect(trail.clickhouse).toEqual({
      mode: "server",
      url: "https://clickhouse.internal:8443",
      username: "mandate_writer",
      password: "clickhouse-pass",
      caFile: "/etc/mandate/clickhouse-ca.pem",
    });
    const message = configErrorOf(() =>
      parseConfig(
        "test",
        trailLocationSchema,
        trailLocationFromEnv({ CLICKHOUSE_URL: "http://clickhouse.internal:8123", CLICKHOUSE_CA_FILE: "/ca.pem" }),
      ),
    );
    expect(message).toContain("CLICKHOUSE_CA_FILE");
  });
});

describe("kafkajs options", () => {
  it("carry the PEM contents of the CA, client certificate and key, and the SASL credentials", () => {
    const options = kafkaClientSecurity({
      tls: { caFile: server.certFile, certFile: stranger.certFile, keyFile: stranger.keyFile },
      sasl: { mechanism: "scram-sha-512", username: "mandate-sink", password: "kafka-pass" },
    });
    expect(options).toEqual({
      ssl: {
        ca: [fs.readFileSync(server.certFile, "utf8")],
        cert: fs.readFileSync(stranger.certFile, "utf8"),
        key: fs.readFileSync(stranger.keyFile, "utf8"),
      },
      sasl: { mechanism: "scram-sha-512", username: "mandate-sink", password: "kafka-pass" },
    });
    expect(options.ssl).toMatchObject({ ca: [expect.stringContaining("BEGIN CERTIFICATE")] });
  });

  it("are TLS with the system CAs for an empty tls, and nothing for a plaintext connection", () => {
    expect(kafkaClientSecurity({ tls: {}, sasl: null })).toEqual({ ssl: {} });
    expect(kafkaClientSecurity({ tls: null, sasl: null })).toEqual({});
    expect(kafkaClientSecurity(undefined)).toEqual({});
  });

  it("name the file they cannot read", () => {
    const missing = path.join(dir, "missing-ca.pem");
    expect(() => kafkaClientSecurity({ tls: { caFile: missing }, sasl: null })).toThrow(missing);
  });
});

/** What a fake https server saw: each request's method, path, Authorization and ClickHouse credential headers. */
interface SeenRequest {
  method: string;
  url: string;
  authorization: string | undefined;
  clickhouseUser: string | undefined;
  clickhouseKey: string | undefined;
}

/** An https server with `server`'s certificate; `answer` replies to each request it records. */
async function httpsServer(
  answer: (request: SeenRequest) => { status: number; body: string },
): Promise<{ url: string; seen: SeenRequest[]; close(): Promise<void> }> {
  const seen: SeenRequest[] = [];
  const listener = https.createServer(
    { cert: fs.readFileSync(server.certFile), key: fs.readFileSync(server.keyFile) },
    (request, response) => {
      request.resume();
      request.on("end", () => {
        const entry = {
          method: request.method ?? "",
          url: request.url ?? "",
          authorization: request.headers.authorization,
          clickhouseUser: request.headers["x-clickhouse-user"] as string | undefined,
          clickhouseKey: request.headers["x-clickhouse-key"] as string | undefined,
        };
        seen.push(entry);
        const { status, body } = answer(entry);
        response.writeHead(status, { "content-type": "application/json" }).end(body);
      });
    },
  );
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const { port } = listener.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        listener.closeAllConnections();
        listener.close(() => resolve());
      }),
  };
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString("base64")}`;
}

describe("schema registry over https with basic auth", () => {
  const AUTH = { username: "mandate", password: "registry-pass" };
  let registry: Awaited<ReturnType<typeof httpsServer>>;

  beforeAll(async () => {
    // A registry double: unit tests may fake it; integration tests use the real one.
    let nextId = 1;
    registry = await httpsServer(({ method, url, authorization }) => {
      if (authorization !== basic(AUTH.username, AUTH.password)) return { status: 401, body: '{"error_code":401}' };
      if (method === "PUT" && url.startsWith("/config/")) return { status: 200, body: '{"compatibility":"BACKWARD"}' };
      if (method === "GET" && url.startsWith("/config/"))
        return { status: 200, body: '{"compatibilityLevel":"BACKWARD"}' };
      if (method === "POST" && url.endsWith("/versions"))
        return { status: 200, body: JSON.stringify({ id: nextId++ }) };
      return { status: 404, body: '{"error_code":404}' };
    });
  });

  afterAll(() => registry.close());
  afterEach(() => registry.seen.splice(0));

  it("registers every contract sending the credentials on every request, trusting the given CA", async () => {
    const contracts = await openContracts(
      { schemaRegistryUrl: registry.url, schemaRegistryAuth: AUTH, schemaRegistryTls: { caFile: server.certFile } },
      DEFAULT_TOPICS,
    );
    expect(contracts.decision.encode).toBeTypeOf("function");
    const subjects = Object.keys(contracts).length;
    const puts = registry.seen.filter((r) => r.method === "PUT" && r.url.startsWith("/config/"));
    const posts = registry.seen.filter((r) => r.method === "POST" && r.url.endsWith("/versions"));
    expect(puts).toHaveLength(subjects);
    expect(posts).toHaveLength(subjects);
    expect(puts.map((r) => r.url)).toContain(`/config/${encodeURIComponent(`${DEFAULT_TOPICS.decisions}-value`)}`);
    expect(registry.seen.every((r) => r.authorization === basic(AUTH.username, AUTH.password))).toBe(true);
  });

  it("does not trust the registry's certificate without its CA, or with another one", async () => {
    await expect(
      openContracts({ schemaRegistryUrl: registry.url, schemaRegistryAuth: AUTH }, DEFAULT_TOPICS),
    ).rejects.toThrow(/unreachable/);
    await expect(
      openContracts(
        { schemaRegistryUrl: registry.url, schemaRegistryAuth: AUTH, schemaRegistryTls: { caFile: stranger.certFile } },
        DEFAULT_TOPICS,
      ),
    ).rejects.toThrow(/unreachable/);
    expect(registry.seen).toEqual([]);
  });

  it("fails on a wrong password, and refuses a CA for an http registry before sending anything", async () => {
    await expect(
      openContracts(
        {
          schemaRegistryUrl: registry.url,
          schemaRegistryAuth: { username: "mandate", password: "wrong" },
          schemaRegistryTls: { caFile: server.certFile },
        },
        DEFAULT_TOPICS,
      ),
    ).rejects.toThrow(/refused compatibility .*401/);
    const http = registry.url.replace("https:", "http:");
    await expect(
      openContracts({ schemaRegistryUrl: http, schemaRegistryTls: { caFile: server.certFile } }, DEFAULT_TOPICS),
    ).rejects.toThrow(/MANDATE_SCHEMA_REGISTRY_CA_FILE/);
  });
});

describe("ClickHouse over https with a user and password", () => {
  let clickhouse: Awaited<ReturnType<typeof httpsServer>>;

  beforeAll(async () => {
    // NOTE: with a custom CA the client sends the credentials as X-ClickHouse-User and X-ClickHouse-Key
    // (which ClickHouse reads like basic auth) instead of an Authorization header.
    clickhouse = await httpsServer(({ url, clickhouseUser, clickhouseKey }) =>
      url.startsWith("/ping") && clickhouseUser === "mandate_writer" && clickhouseKey === "clickhouse-pass"
        ? { status: 200, body: "Ok.\n" }
        : { status: 401, body: "" },
    );
  });

  afterAll(() => clickhouse.close());

  it("reaches the server through the given CA with the user's credentials", async () => {
    const client = await openClickHouse({
      mode: "server",
      url: clickhouse.url,
      username: "mandate_writer",
      password: "clickhouse-pass",
      caFile: server.certFile,
    });
    try {
      expect((await client.ping()).success).toBe(true);
    } finally {
      await client.close();
    }
    expect(clickhouse.seen.at(-1)).toMatchObject({
      clickhouseUser: "mandate_writer",
      clickhouseKey: "clickhouse-pass",
    });
  });

  it("does not trust the server's certificate without its CA", async () => {
    const before = clickhouse.seen.length;
    const client = await openClickHouse({ mode: "server", url: clickhouse.url, username: "u", password: "p" });
    try {
      const result = await client.ping();
      expect(result.success).toBe(false);
    } finally {
      await client.close();
    }
    expect(clickhouse.seen).toHaveLength(before);
  });
});

describe("secrets in --check-config and in logs", () => {
  const SECRETS = {
    MANDATE_KAFKA_SASL_PASSWORD: "kafka-sasl-secret-1",
    MANDATE_SCHEMA_REGISTRY_PASSWORD: "registry-secret-2",
    CLICKHOUSE_PASSWORD: "clickhouse-secret-3",
    MANDATE_REDACTION_KEY: "c0ffee".repeat(11),
  };
  const SECURED = {
    MANDATE_KAFKA_TLS_CA_FILE: "/etc/mandate/kafka-ca.pem",
    MANDATE_KAFKA_SASL_MECHANISM: "scram-sha-512",
    MANDATE_KAFKA_SASL_USERNAME: "mandate",
    MANDATE_KAFKA_SASL_PASSWORD: SECRETS.MANDATE_KAFKA_SASL_PASSWORD,
    MANDATE_SCHEMA_REGISTRY_URL: "https://registry.internal:8081",
    MANDATE_SCHEMA_REGISTRY_USERNAME: "mandate",
    MANDATE_SCHEMA_REGISTRY_PASSWORD: SECRETS.MANDATE_SCHEMA_REGISTRY_PASSWORD,
    MANDATE_SCHEMA_REGISTRY_CA_FILE: "/etc/mandate/registry-ca.pem",
  };

  afterEach(() => vi.restoreAllMocks());

  /** What `--check-config` prints for a configuration. */
  async function checkConfigOutput(loadConfig: () => unknown): Promise<string> {
    const written: string[] = [];
    vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    await runService("svc", ["--check-config"], loadConfig, vi.fn());
    vi.restoreAllMocks();
    expect(written.join("")).toContain("svc: configuration is valid");
    return written.join("");
  }

  function expectNoSecret(text: string): void {
    for (const [variable, secret] of Object.entries(SECRETS)) {
      expect(text, `${variable} leaked`).not.toContain(secret);
    }
  }

  it("masks every secret in what each service's --check-config prints", async () => {
    const signingKey = path.join(dir, "signing-key.pem");
    execFileSync("openssl", ["genpkey", "-algorithm", "ed25519", "-out", signingKey]);
    const keyMaterial = fs.readFileSync(signingKey, "utf8").split("\n")[1]!;
    const tokensFile = path.join(dir, "tokens.yaml");
    fs.writeFileSync(tokensFile, "[]\n");
    const sink = await checkConfigOutput(() =>
      sinkConfigFromEnv({
        ...SECURED,
        CLICKHOUSE_URL: `https://writer:${SECRETS.CLICKHOUSE_PASSWORD}@clickhouse.internal:8443`,
        CLICKHOUSE_USER: "writer",
        CLICKHOUSE_PASSWORD: SECRETS.CLICKHOUSE_PASSWORD,
        CLICKHOUSE_CA_FILE: "/etc/mandate/clickhouse-ca.pem",
      }),
    );
    const validator = await checkConfigOutput(() =>
      validatorConfigFromEnv({
        ...SECURED,
        MANDATE_REDACTION_KEY: SECRETS.MANDATE_REDACTION_KEY,
        MANDATE_VALIDATOR_SIGNING_KEY: signingKey,
      }),
    );
    const review = await checkConfigOutput(() =>
      reviewConfigFromEnv({
        ...SECURED,
        MANDATE_REVIEW_TOKENS_FILE: tokensFile,
        MANDATE_REVIEW_SIGNING_KEY: signingKey,
      }),
    );
    for (const output of [sink, validator, review]) {
      expectNoSecret(output);
      expect(output).not.toContain(keyMaterial);
      // The settings stay readable: only the secrets are masked.
      expect(output).toContain('"mechanism": "scram-sha-512"');
      expect(output).toContain("/etc/mandate/registry-ca.pem");
    }
    expect(sink).toContain('"caFile": "/etc/mandate/clickhouse-ca.pem"');
    expect(validator).toContain(signingKey);
  });

  it("censors the connection's secrets in log lines, whole or as kafkajs options", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = createLogger("test", "info", destination);
    const config = sinkConfigFromEnv({
      ...SECURED,
      CLICKHOUSE_URL: "https://clickhouse.internal:8443",
      CLICKHOUSE_PASSWORD: SECRETS.CLICKHOUSE_PASSWORD,
    });
    const kafkaOptions = kafkaClientSecurity({ tls: { caFile: server.certFile }, sasl: config.kafkaSecurity.sasl });
    logger.info({ event: "config_loaded", config }, "loaded");
    logger.info({ event: "connection", connection: config }, "connection");
    logger.info({ event: "kafka", ...config }, "spread");
    logger.info({ event: "kafka_options", ...kafkaOptions, ssl: { key: SECRETS.MANDATE_REDACTION_KEY } }, "options");
    logger.info({ event: "registry", schemaRegistryAuth: config.schemaRegistryAuth }, "registry");
    const text = lines.join("");
    expect(lines).toHaveLength(5);
    expectNoSecret(text);
    expect(text).toContain("scram-sha-512");
  });
});
