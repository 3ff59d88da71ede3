import crypto, { type KeyObject } from "node:crypto";

/** Ed25519 signatures are 64 bytes; anything else in a signature field is malformed. */
const SIGNATURE_BYTES = 64;

/** A private key as an agent or validator holds it: a KeyObject, or PKCS#8 PEM text. */
export type PrivateKeyInput = KeyObject | string;

export function ed25519PrivateKey(input: PrivateKeyInput): KeyObject {
  const key = typeof input === "string" ? crypto.createPrivateKey(input) : input;
  if (key.type !== "private" || key.asymmetricKeyType !== "ed25519") {
    throw new TypeError(
      `expected an Ed25519 private key, got a ${key.asymmetricKeyType ?? "symmetric"} ${key.type} key`,
    );
  }
  return key;
}

/**
 * Parses an SPKI PEM public key; throws unless it is Ed25519. A private key is refused, though Node
 * would derive the public key from it: where a public key is asked for (a registration, which is
 * published), a private one given by mistake must not go any further.
 */
export function ed25519PublicKey(pem: string): KeyObject {
  if (isPrivateKeyPem(pem)) throw new TypeError("expected an Ed25519 public key, got a private key");
  const key = crypto.createPublicKey(pem);
  if (key.asymmetricKeyType !== "ed25519") {
    throw new TypeError(`expected an Ed25519 public key, got ${key.asymmetricKeyType ?? "another kind"}`);
  }
  return key;
}

/** Whether `pem` holds a private key (of any kind). */
export function isPrivateKeyPem(pem: string): boolean {
  try {
    crypto.createPrivateKey(pem);
    return true;
  } catch {
    return false;
  }
}

export function publicKeyPem(key: KeyObject): string {
  const publicKey = key.type === "private" ? crypto.createPublicKey(key) : key;
  return publicKey.export({ type: "spki", format: "pem" }).toString();
}

/** Standard padded base64 of the Ed25519 signature over `bytes`. */
export function signEd25519(bytes: Buffer, key: KeyObject): string {
  return crypto.sign(null, bytes, key).toString("base64");
}

/**
 * True only for a well-formed signature that verifies. The base64 text must be canonical (it is
 * re-encoded and compared): Node's decoder skips stray characters, and a lenient check would let
 * one signature travel under many spellings.
 */
export function verifyEd25519(bytes: Buffer, signature: string, key: KeyObject): boolean {
  const raw = Buffer.from(signature, "base64");
  if (raw.length !== SIGNATURE_BYTES || raw.toString("base64") !== signature) return false;
  return crypto.verify(null, bytes, key, raw);
}
