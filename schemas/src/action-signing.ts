import type { KeyObject } from "node:crypto";
import { canonicalActionBytes, type SignedActionFields } from "./action-canonical.js";
import type { ProposedAction } from "./action.js";
import { ed25519PrivateKey, signEd25519, type PrivateKeyInput } from "./ed25519.js";

/** An agent's signing key: the id it is registered under, and the Ed25519 private key (KeyObject or PKCS#8 PEM). */
export interface SigningKey {
  keyId: string;
  privateKey: PrivateKeyInput;
}

/** A signing key checked once, ready to sign many actions. */
export interface ActionSigner {
  keyId: string;
  privateKey: KeyObject;
}

export function actionSigner(key: SigningKey): ActionSigner {
  if (!key.keyId) throw new TypeError("a signing key needs the keyId it is registered under");
  return { keyId: key.keyId, privateKey: ed25519PrivateKey(key.privateKey) };
}

/**
 * Sets `key_id` and signs the action's canonical encoding (action-canonical.ts).
 * Any field changed afterwards invalidates the signature.
 */
export function signAction(action: Omit<SignedActionFields, "key_id">, signer: ActionSigner): ProposedAction {
  const keyed = { ...action, key_id: signer.keyId };
  return { ...keyed, signature: signEd25519(canonicalActionBytes(keyed), signer.privateKey) };
}
