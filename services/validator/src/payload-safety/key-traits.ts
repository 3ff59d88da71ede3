/**
 * What an argument's key says about its value ("password", "to", "host"...). Several detectors ask, and
 * the same few keys come back on every call of a tool, so answers are cached.
 */
export const KEY_PASSWORD = 1 << 0;
export const KEY_CREDENTIAL = 1 << 1;
export const KEY_AUTHORIZATION = 1 << 2;
export const KEY_AWS_SECRET = 1 << 3;
export const KEY_RECIPIENT = 1 << 4;
export const KEY_HOST = 1 << 5;
export const KEY_VERSION = 1 << 6;
export const KEY_SSN = 1 << 7;
export const KEY_SQL = 1 << 8;
export const KEY_PII_FIELD = 1 << 9;

// Case-sensitive on purpose: "dbPassword" and "DB_PASS" are passwords, "bypass" is not.
const PASSWORD_KEY =
  /(?:^|[^A-Za-z])[Pp]ass(?:word|wd|phrase)?$|[a-z]Pass(?:word|wd|phrase)?$|(?:^|[^A-Za-z])PASS(?:WORD|WD|PHRASE)?$|^(?:pwd|PWD)$/;
const CREDENTIAL_KEY =
  /secret|api[-_]?key|access[-_]?key|private[-_]?key|(?:access|auth|refresh|id|bearer|session|api|bot|client)[-_]?token|^token$|credential|^auth$/i;
const AUTHORIZATION_KEY = /^(?:proxy-)?authorization$/i;
const AWS_SECRET_KEY = /aws.?secret|secret.?access.?key/i;
const RECIPIENT_KEY = /^(?:to|cc|bcc|recipients?|reply[-_]?to|from|sender|to[-_]?address(?:es)?)$/i;
const HOST_KEY =
  /host|url|uri|endpoint|server|domain|webhook|callback|proxy|upstream|href|(?:^|[-_])(?:ip|addr|src|target)(?:$|[-_])/i;
const HOST_KEY_CAMEL = /[a-z](?:Ip|Addr)(?:$|[A-Z])|^(?:ip|addr)[A-Z]/;
const VERSION_KEY = /version|^ver$|release|build/i;
const SSN_KEY = /ssn|social.?security|tax.?id|^tin$|national.?id/i;
const SQL_KEY = /^(?:sql|query|statement|stmt|sql[-_]?query|raw[-_]?sql)$/i;
const PII_FIELD_KEY =
  /e-?mail|phone|mobile|ssn|social.?security|national.?id|passport|birth|^dob$|address|street|post.?code|postal|^zip|first.?name|last.?name|full.?name|surname|^name$|card.?(?:number|no)|iban|account.?(?:number|no)|salary|diagnos|patient/i;

/** Longer keys are rare and not worth a cache slot; they are classified on every call. */
const CACHEABLE_KEY_LENGTH = 64;
const CACHE_LIMIT = 2048;
const cache = new Map<string, number>();

export function keyTraits(key: string | null): number {
  if (key === null) return 0;
  const cached = cache.get(key);
  if (cached !== undefined) return cached;
  const traits = classifyKey(key);
  if (key.length <= CACHEABLE_KEY_LENGTH) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(key, traits);
  }
  return traits;
}

function classifyKey(key: string): number {
  let traits = 0;
  if (PASSWORD_KEY.test(key)) traits |= KEY_PASSWORD;
  if (CREDENTIAL_KEY.test(key)) traits |= KEY_CREDENTIAL;
  if (AUTHORIZATION_KEY.test(key)) traits |= KEY_AUTHORIZATION;
  if (AWS_SECRET_KEY.test(key)) traits |= KEY_AWS_SECRET;
  if (RECIPIENT_KEY.test(key)) traits |= KEY_RECIPIENT;
  if (HOST_KEY.test(key) || HOST_KEY_CAMEL.test(key)) traits |= KEY_HOST;
  if (VERSION_KEY.test(key)) traits |= KEY_VERSION;
  if (SSN_KEY.test(key)) traits |= KEY_SSN;
  if (SQL_KEY.test(key)) traits |= KEY_SQL;
  if (PII_FIELD_KEY.test(key)) traits |= KEY_PII_FIELD;
  return traits;
}
