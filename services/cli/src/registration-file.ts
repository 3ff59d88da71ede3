import { LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import { ed25519PublicKey, isPrivateKeyPem, type AgentRegistration } from "@mandate/contracts";

const pattern = z.string().min(1).max(253);

/** The registration file format (YAML or JSON): the AgentRegistration fields, with defaults for the optional ones. */
export const registrationFileSchema = z
  .object({
    agent_id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, "letters, digits, dot, dash, underscore; at most 128"),
    owner: z.string().min(1),
    purpose: z.string().min(10, "say in a sentence what the agent is for"),
    examples: z.array(z.string().min(1)).default([]),
    counter_examples: z.array(z.string().min(1)).default([]),
    scope: z
      .object({
        tools: z
          .array(
            z
              .object({
                name: z.string().min(1),
                description: z.string().min(1, "a description is needed for purpose alignment"),
                operations: z.array(z.string().min(1)).default([]),
              })
              .strict(),
          )
          .min(1, "an agent needs at least one tool"),
        resource_patterns: z.array(pattern).default([]),
        destination_patterns: z.array(pattern).default([]),
        data_classes: z.array(z.string().min(1)).default([]),
        rate_limit_per_minute: z.number().int().positive().nullable().default(null),
        max_payload_bytes: z.number().int().positive().nullable().default(null),
      })
      .strict(),
    keys: z
      .array(
        z
          .object({
            key_id: z.string().min(1),
            public_key: z.string().superRefine((pem, ctx) => {
              // A private key would pass as a public one (Node derives the public half), and be published
              // to a topic every agent reads: refused, and the message never repeats it.
              if (isPrivateKeyPem(pem)) {
                ctx.addIssue({ code: "custom", message: "holds a private key; register its public key only" });
              } else if (!isEd25519PublicKey(pem)) {
                ctx.addIssue({ code: "custom", message: "an Ed25519 public key in SPKI PEM" });
              }
            }),
            not_before: z.number().int().nullable().default(null),
            not_after: z.number().int().nullable().default(null),
          })
          .strict(),
      )
      .default([]),
    version: z.number().int().positive(),
    retired: z.boolean().default(false),
    registered_at: z.number().int().optional(),
  })
  .strict()
  .superRefine((reg, ctx) => {
    const names = reg.scope.tools.map((t) => t.name);
    names.forEach((name, i) => {
      if (names.indexOf(name) !== i)
        ctx.addIssue({ code: "custom", path: ["scope", "tools", i, "name"], message: `tool ${name} is listed twice` });
    });
    const keyIds = reg.keys.map((k) => k.key_id);
    reg.keys.forEach((key, i) => {
      if (keyIds.indexOf(key.key_id) !== i)
        ctx.addIssue({ code: "custom", path: ["keys", i, "key_id"], message: `key ${key.key_id} is listed twice` });
      if (key.not_before !== null && key.not_after !== null && key.not_after <= key.not_before)
        ctx.addIssue({ code: "custom", path: ["keys", i, "not_after"], message: "not_after must be after not_before" });
    });
  });

function isEd25519PublicKey(pem: string): boolean {
  try {
    ed25519PublicKey(pem);
    return true;
  } catch {
    return false;
  }
}

export type RegistrationFileResult = { ok: true; registration: AgentRegistration } | { ok: false; errors: string[] };

/**
 * Parses and validates a registration file, reporting every problem with `file:line:column`, so a
 * platform engineer can fix the file without guessing which `tools[3]` was meant.
 */
export function parseRegistrationFile(text: string, fileName: string, now = Date.now()): RegistrationFileResult {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    return {
      ok: false,
      errors: document.errors.map((e) => {
        const at = e.linePos?.[0];
        return `${fileName}:${at?.line ?? 1}:${at?.col ?? 1}: ${e.message.split("\n")[0]}`;
      }),
    };
  }
  const parsed = registrationFileSchema.safeParse(document.toJS());
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((issue) => {
        const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
        const { line, col } = locate(document, lineCounter, path);
        const where = path.length > 0 ? path.join(".") : "(file)";
        return `${fileName}:${line}:${col}: ${where}: ${issue.message}`;
      }),
    };
  }
  return { ok: true, registration: { ...parsed.data, registered_at: parsed.data.registered_at ?? now } };
}

/** The position of the deepest node of `path` that exists (an unknown or missing key points at its parent). */
function locate(
  document: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
  path: ReadonlyArray<string | number>,
): { line: number; col: number } {
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const node = document.getIn(path.slice(0, depth), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return lineCounter.linePos(node.range[0]);
  }
  return { line: 1, col: 1 };
}
