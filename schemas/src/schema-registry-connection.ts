import fs from "node:fs";
import http from "node:http";
import https from "node:https";
import { SchemaRegistry } from "@kafkajs/confluent-schema-registry";
import { ConfigError, DependencyUnavailableError } from "./errors.js";

/** Basic auth towards the schema registry; null: an open registry (a local one only). */
export type SchemaRegistryAuth = { username: string; password: string } | null;

/** The CA that signed an https registry's certificate; null: the system CAs. */
export type SchemaRegistryTls = { caFile: string } | null;

/** Where the registry is and how to reach it: what `openContracts` takes (every service config and SDK option has it). */
export interface SchemaRegistryConnection {
  schemaRegistryUrl: string;
  schemaRegistryAuth?: SchemaRegistryAuth;
  schemaRegistryTls?: SchemaRegistryTls;
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
