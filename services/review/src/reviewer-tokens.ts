import crypto from "node:crypto";
import fs from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigError } from "@mandate/contracts";

export const REVIEWER_ROLES = ["reviewer", "viewer"] as const;
/** `reviewer` may approve and reject; `viewer` may only look at the queue. */
export type ReviewerRole = (typeof REVIEWER_ROLES)[number];

/** In a token's `teams`: every team, including agents whose owner the service does not know. */
export const ALL_TEAMS = "*";

/** Who presented a token: the name every decision they make records, and whose flags they may see. */
export interface Reviewer {
  name: string;
  role: ReviewerRole;
  /** The registration `owner`s whose flags this token may list, show and decide; `["*"]`: every one. */
  teams: readonly string[];
}

/**
 * Whether `reviewer` may see and decide a flag of an agent owned by `owner` (its registration's
 * `owner`). NOTE: an owner the service does not know (the agent's registration is not on the
 * registry topic, or not read yet) is nobody's team: only a reviewer for every team ("*") may
 * decide such a flag, so a missing registration never widens anyone's reach.
 */
export function mayReview(reviewer: Reviewer, owner: string | undefined): boolean {
  if (reviewer.teams.includes(ALL_TEAMS)) return true;
  return owner !== undefined && reviewer.teams.includes(owner);
}

const EMPTY_TEAMS = 'list the owners (teams) this token may review, or ["*"] for every team';

const tokenEntrySchema = z
  .object({
    /** Recorded as the `reviewer` of every decision made with this token. */
    name: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[\p{L}\p{N} ._@-]+$/u, "letters, digits, space, dot, dash, underscore, @"),
    role: z.enum(REVIEWER_ROLES),
    /**
     * The registration `owner`s (teams) whose flags this token may see and decide, or `["*"]` for
     * every team. Omitted: every team, as before teams existed; the service warns about each such
     * token at start (`review_token_all_teams`), since one should be given its teams.
     */
    teams: z.array(z.string().trim().min(1).max(256)).min(1, EMPTY_TEAMS).optional(),
    /** Hex SHA-256 of the token: the file never holds a token itself. */
    token_sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, "64 hex digits: the SHA-256 of the token"),
  })
  .strict();

/** The tokens file (YAML or JSON): a list of {name, role, teams, token_sha256}. */
export const tokensFileSchema = z.array(tokenEntrySchema).min(1, "list at least one token");

export type TokenEntry = z.infer<typeof tokensFileSchema>[number];

/** Hex SHA-256 of a token, as the tokens file lists it. */
export function tokenSha256(token: string): string {
  return crypto.createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * The bearer tokens of the review API, known only by their SHA-256: a leaked file lets nobody in.
 * A presented token is hashed and compared with every entry in constant time (no early exit, so
 * the timing says neither whether nor where it matched). Tokens are never logged or kept.
 */
export class ReviewerTokens {
  private readonly entries: Array<{ reviewer: Reviewer; hash: Buffer }>;
  /** Names of the tokens that list no `teams` and so reach every team. */
  readonly withoutTeams: string[];

  constructor(entries: TokenEntry[]) {
    this.entries = entries.map((e) => ({
      reviewer: { name: e.name, role: e.role, teams: e.teams ? [...new Set(e.teams)] : [ALL_TEAMS] },
      hash: Buffer.from(e.token_sha256, "hex"),
    }));
    this.withoutTeams = entries.filter((e) => e.teams === undefined).map((e) => e.name);
  }

  /** Reads and checks a tokens file; every problem is reported together. */
  static fromFile(file: string): ReviewerTokens {
    let raw: unknown;
    try {
      // YAML is a superset of JSON: one parser reads both.
      raw = parseYaml(fs.readFileSync(file, "utf8"));
    } catch (error) {
      throw new ConfigError(`review tokens file ${file} is not readable YAML or JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
    const parsed = tokensFileSchema.safeParse(raw);
    const problems = [
      ...(parsed.success ? [] : parsed.error.issues.map((i) => `  - ${i.path.join(".") || "(root)"}: ${i.message}`)),
      ...duplicates(raw),
    ];
    if (!parsed.success || problems.length > 0) {
      throw new ConfigError(`review tokens file ${file} is invalid\n${problems.join("\n")}`);
    }
    return new ReviewerTokens(parsed.data);
  }

  get size(): number {
    return this.entries.length;
  }

  /** The reviewer a token belongs to; undefined for an unknown token. */
  authenticate(token: string): Reviewer | undefined {
    const presented = crypto.createHash("sha256").update(token, "utf8").digest();
    let match: Reviewer | undefined;
    for (const entry of this.entries) {
      if (crypto.timingSafeEqual(presented, entry.hash) && match === undefined) match = entry.reviewer;
    }
    return match;
  }
}

/** Names and tokens listed twice; checked on the raw entries, so they are reported with every other problem. */
function duplicates(raw: unknown): string[] {
  if (!Array.isArray(raw)) return [];
  const problems: string[] = [];
  const names = new Set<string>();
  const hashes = new Set<string>();
  raw.forEach((entry: unknown, i) => {
    const { name, token_sha256: hash } = (typeof entry === "object" && entry !== null ? entry : {}) as Record<
      string,
      unknown
    >;
    if (typeof name === "string") {
      if (names.has(name)) problems.push(`  - ${i}.name: ${name} is listed twice`);
      names.add(name);
    }
    if (typeof hash === "string") {
      if (hashes.has(hash.toLowerCase())) problems.push(`  - ${i}.token_sha256: the same token is listed twice`);
      hashes.add(hash.toLowerCase());
    }
  });
  return problems;
}
