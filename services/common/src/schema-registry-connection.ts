import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import { z } from "zod";
import { ConfigError, DependencyUnavailableError } from "./errors.js";

/** Basic auth towards the schema registry; null: an open registry (a local one only). */
export const schemaRegistryAuthSchema = z
  .object({
    username: requiredText("required with a registry password (MANDATE_SCHEMA_REGISTRY_USERNAME)"),
    password: requiredText("required with a registry username (MANDATE_SCHEMA_REGISTRY_PASSWORD)"),
  })
  .nullable()
  .default(null);

/** The CA that signed an https registry's certificate; null: the system CAs. */
export const schemaRegistryTlsSchema = z
  .object({ caFile: z.string().min(1) })
  .nullable()
  .default(null);

export type SchemaRegistryAuth = z.infer<typeof schemaRegistryAuthSchema>;
export type SchemaRegistryTls = z.infer<typeof schemaRegistryTlsSchema>;

/** Where the registry is and how to reach it: what `openContracts` takes (every service config and SDK option has it). */
export interface SchemaRegistryConnection {
  schemaRegistryUrl: string;
  schemaRegistryAuth?: SchemaRegistryAuth;
  schemaRegistryTls?: SchemaRegistryTls;
}

/**
 * Reads `MANDATE_SCHEMA_REGISTRY_USERNAME`, `MANDATE_SCHEMA_REGISTRY_PASSWORD` and
 * `MANDATE_SCHEMA_REGISTRY_CA_FILE`; unvalidated, for the two schemas above. A username without a
 * password (or the reverse) is passed on half-set, so the schema names the missing one.
 */
export function schemaRegistrySecurityFromEnv(env: NodeJS.ProcessEnv) {
  const username = env.MANDATE_SCHEMA_REGISTRY_USERNAME || undefined;
  const password = env.MANDATE_SCHEMA_REGISTRY_PASSWORD || undefined;
  const caFile = env.MANDATE_SCHEMA_REGISTRY_CA_FILE || undefined;
  return {
    schemaRegistryAuth: username === undefined && password === undefined ? null : { username, password },
    schemaRegistryTls: caFile === undefined ? null : { caFile },
  };
}

/** Sets a subject's compatibility level; the registry client has no call for it outside `register`. */
export type SetCompatibility = (subject: string, level: "BACKWARD") => Promise<void>;

/** One registry, reached with the same credentials and CA by the Confluent client and by `setCompatibility`. */
export interface SchemaRegistryClient {
  registry: SchemaRegistry;
  setCompatibility: SetCompatibility;
}

/**
 * A client for the registry at `connection`. Refuses a CA file for an http URL: whoever set one
 * expects the connection to be encrypted, and the password would go out in the clear.
 */
export function openSchemaRegistry(connection: SchemaRegistryConnection): SchemaRegistryClient {
  const url = new URL(connection.schemaRegistryUrl);
  const auth = connection.schemaRegistryAuth ?? undefined;
  const caFile = connection.schemaRegistryTls?.caFile;
  if (caFile !== undefined && url.protocol !== "https:") {
    throw new ConfigError(
      `MANDATE_SCHEMA_REGISTRY_CA_FILE is set but the registry URL ${url.origin} is not https (MANDATE_SCHEMA_REGISTRY_URL)`,
    );
  }
  const agent = caFile === undefined ? undefined : new https.Agent({ ca: readCa(caFile), keepAlive: true });
  const authorization =
    auth === undefined ? undefined : `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}`;
  const registry = new SchemaRegistry({ host: connection.schemaRegistryUrl, clientId: "mandate", auth, agent });
  const setCompatibility: SetCompatibility = async (subject, level) => {
    const status = await put(
      new URL(`config/${encodeURIComponent(subject)}`, withTrailingSlash(url)),
      JSON.stringify({ compatibility: level }),
      { agent, authorization },
    );
    if (status < 200 || status >= 300) {
      throw new DependencyUnavailableError(`schema registry refused compatibility for ${subject}: ${status}`);
    }
  };
  return { registry, setCompatibility };
}

function put(
  target: URL,
  body: string,
  { agent, authorization }: { agent: https.Agent | undefined; authorization: string | undefined },
): Promise<number> {
  const request = target.protocol === "https:" ? https.request : http.request;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      target,
      {
        method: "PUT",
        ...(agent === undefined ? {} : { agent }),
        headers: {
          "content-type": "application/vnd.schemaregistry.v1+json",
          "content-length": Buffer.byteLength(body),
          ...(authorization === undefined ? {} : { authorization }),
        },
      },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
        response.on("error", reject);
      },
    );
    outgoing.on("error", (error) =>
      reject(new DependencyUnavailableError(`schema registry at ${target.origin} is unreachable`, { cause: error })),
    );
    outgoing.end(body);
  });
}

/** A registry behind a path prefix (`https://host/registry`) keeps the prefix when a path is joined to it. */
function withTrailingSlash(url: URL): URL {
  return url.pathname.endsWith("/") ? url : new URL(`${url.href}/`);
}

function readCa(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new ConfigError(
      `cannot read the schema registry CA ${file} (MANDATE_SCHEMA_REGISTRY_CA_FILE): ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** A non-empty string whose absence and emptiness both report `message` (which names the variable). */
function requiredText(message: string) {
  return z.string({ error: message }).min(1, message);
}
