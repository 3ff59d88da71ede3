import type { KeyObject } from "node:crypto";
import {
  canonicalActionBytes,
  type ProposedAction,
  type Reason,
  ed25519PublicKey,
  verifyEd25519,
  type AgentKey,
  type AgentRegistration,
} from "@mandate/contracts";
import { ReplayCache, type ReplayEntry, type ReplayVerdict, type ReplayWindowSnapshot } from "./replay-cache.js";

export interface IdentityOptions {
  /** How far `proposed_at` may be from the decision time, either way. */
  clockSkewMs: number;
  /** Per-agent bound of the replay window (see ReplayCache). */
  replayWindowMaxPerAgent: number;
}

export const DEFAULT_IDENTITY_OPTIONS: IdentityOptions = { clockSkewMs: 60_000, replayWindowMaxPerAgent: 20_000 };

export type IdentityResult =
  { ok: true; registration: AgentRegistration; reasons: Reason[] } | { ok: false; reason: Reason };

const REPLAY_REASON: Record<Exclude<ReplayVerdict, "fresh">, { code: string; message: string }> = {
  replayed_nonce: { code: "identity.replayed_nonce", message: "The nonce was already used by an earlier action." },
  replayed_action_id: {
    code: "identity.replayed_action_id",
    message: "The action id was already decided; one action gets one decision.",
  },
  window_full: {
    code: "identity.replay_window_full",
    message: "The agent proposed more actions than its replay window holds; it is refused until older ones age out.",
  },
};

/**
 * The identity axis: the agent is registered and active, the envelope is signed by a key registered
 * for it and valid now, its timestamp is fresh and its nonce and action id are new. The checks run
 * cheapest-first and the first failure rejects. A registration with no keys is a development-mode
 * agent: its unsigned actions pass with an info reason, so nobody mistakes them for verified ones.
 */
export class IdentityCheck {
  private readonly replay: ReplayCache;
  /** Parsed public keys; keyed by the registration's key object, so a new registration version re-parses. */
  private readonly publicKeys = new WeakMap<AgentKey, KeyObject | Error>();

  constructor(private readonly options: IdentityOptions = DEFAULT_IDENTITY_OPTIONS) {
    this.replay = new ReplayCache({
      retentionMs: 2 * options.clockSkewMs,
      maxEntriesPerAgent: options.replayWindowMaxPerAgent,
    });
  }

  check(action: ProposedAction, registration: AgentRegistration | undefined, now: number): IdentityResult {
    if (!registration) return fail("identity.unknown_agent", `Agent ${action.agent_id} is not registered.`);
    if (registration.retired) return fail("identity.agent_retired", `Agent ${action.agent_id} is retired.`);

    if (registration.keys.length === 0) {
      if (action.key_id !== null || action.signature !== null) {
        return fail(
          "identity.unknown_key",
          `Agent ${action.agent_id} has no registered keys; key ${action.key_id} is not its.`,
        );
      }
      return {
        ok: true,
        registration,
        reasons: [
          {
            axis: "identity",
            code: "identity.unsigned_agent",
            message: `Agent ${action.agent_id} has no registered keys (development mode); the action is unsigned and its sender unverified.`,
            severity: "info",
          },
        ],
      };
    }

    if (action.key_id === null || action.signature === null) {
      return fail(
        "identity.signature_missing",
        `Agent ${action.agent_id} has registered keys; unsigned actions are refused.`,
      );
    }
    const key = registration.keys.find((k) => k.key_id === action.key_id);
    if (!key)
      return fail("identity.unknown_key", `Key ${action.key_id} is not registered for agent ${action.agent_id}.`);
    const publicKey = this.publicKeyOf(key);
    if (publicKey instanceof Error || !verifyEd25519(canonicalActionBytes(action), action.signature, publicKey)) {
      return fail("identity.bad_signature", `The signature does not verify with key ${key.key_id}.`);
    }
    if (key.not_before !== null && now < key.not_before) {
      return fail("identity.key_not_yet_valid", `Key ${key.key_id} is not valid before ${iso(key.not_before)}.`);
    }
    if (key.not_after !== null && now > key.not_after) {
      return fail("identity.key_expired", `Key ${key.key_id} expired at ${iso(key.not_after)}.`);
    }

    const skew = this.options.clockSkewMs;
    if (action.proposed_at < now - skew) {
      return fail(
        "identity.stale_timestamp",
        `The action was proposed ${now - action.proposed_at} ms ago; at most ${skew} ms is accepted.`,
      );
    }
    if (action.proposed_at > now + skew) {
      return fail(
        "identity.future_timestamp",
        `The action is dated ${action.proposed_at - now} ms ahead; at most ${skew} ms is accepted.`,
      );
    }
    const replay = this.replay.admit(action.agent_id, action.nonce, action.action_id, action.proposed_at, now);
    if (replay !== "fresh") return fail(REPLAY_REASON[replay].code, REPLAY_REASON[replay].message);
    return { ok: true, registration, reasons: [] };
  }

  beginBatch(): ReplayEntry[] {
    return this.replay.beginBatch();
  }

  endBatch(): void {
    this.replay.endBatch();
  }

  abortBatch(journal: readonly ReplayEntry[]): void {
    this.replay.abortBatch(journal);
  }

  /** The agent's replay window (tests, benchmarks). */
  replayWindow(agentId: string, now: number): ReplayWindowSnapshot | undefined {
    return this.replay.snapshot(agentId, now);
  }

  /** The replay window as the validator-state changelog keeps it: see ReplayCache. */
  get replayAdmissions(): readonly ReplayEntry[] {
    return this.replay.batchAdmissions;
  }

  takeExpiredReplays(): Array<{ agentId: string; nonce: string }> {
    return this.replay.takeExpired();
  }

  restoreReplayEntry(entry: ReplayEntry): void {
    this.replay.restoreEntry(entry);
  }

  forgetReplayWindow(agentId: string): void {
    this.replay.restore(agentId, undefined);
  }

  private publicKeyOf(key: AgentKey): KeyObject | Error {
    let parsed = this.publicKeys.get(key);
    if (!parsed) {
      try {
        parsed = ed25519PublicKey(key.public_key);
      } catch (error) {
        parsed = error instanceof Error ? error : new Error(String(error));
      }
      this.publicKeys.set(key, parsed);
    }
    return parsed;
  }
}

function fail(code: string, message: string): IdentityResult {
  return { ok: false, reason: { axis: "identity", code, message, severity: "critical" } };
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
