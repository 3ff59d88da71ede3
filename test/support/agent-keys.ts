import crypto from "node:crypto";
import { publicKeyPem, type AgentKey, type SigningKey } from "@mandate/contracts";

/** A fresh Ed25519 key: the registration's public half and the agent's signing half. */
export function agentKey(
  keyId: string,
  validity: { notBefore?: number; notAfter?: number } = {},
): { registered: AgentKey; signingKey: SigningKey } {
  const { privateKey } = crypto.generateKeyPairSync("ed25519");
  return {
    registered: {
      key_id: keyId,
      public_key: publicKeyPem(privateKey),
      not_before: validity.notBefore ?? null,
      not_after: validity.notAfter ?? null,
    },
    signingKey: { keyId, privateKey },
  };
}
