import { tokenize } from "../purpose-alignment/tokenize.js";

/**
 * Words of a tool's name that say it reads what others can write: inbound mail, messages, posts,
 * reviews, web pages, shared documents. Their output may carry an attacker's text even when it
 * carries no instruction, and the decision says so when a value comes from one.
 */
const UNTRUSTED_WORDS = new Set(
  `mail email emails gmail inbox message messages chat slack teams discord sms whatsapp telegram web
   browser browse page pages url http https fetch scrape crawl review reviews comment comments post posts
   tweet tweets twitter feed forum rss social reddit webpage website site issue issues ticket tickets
   document documents doc docs upload uploads note notes event events calendar`.split(/\s+/),
);

export function readsUntrustedSource(tool: string): boolean {
  return tokenize(tool).some((word) => UNTRUSTED_WORDS.has(word));
}
