import {
  type IntentValue,
  isBareHost,
  normaliseAccount,
  normaliseHost,
  normalisePath,
  normalisePhone,
} from "./intent-values.js";
import { statedAmounts } from "./stated-amounts.js";
import { tokenize } from "./tokenize.js";

/**
 * What a piece of prose (a session task, a registration) says about places and people, in
 * the normalised forms of `intent-values.ts`, so an action's values can be checked against
 * it in a few set look-ups.
 */
export interface ExplainingContext {
  /** Lowercased text, for values quoted verbatim. */
  text: string;
  /** Uppercased with spaces and dashes removed: account numbers are often written in groups. */
  compact: string;
  tokens: ReadonlySet<string>;
  /** Words written with a capital (`Amy`), lowercased: how a task names a person. */
  names: ReadonlySet<string>;
  /** The same, sentence openers included: too loose to name anyone alone, enough to confirm an initial. */
  capitalised: ReadonlySet<string>;
  /** Runs of two or more such words, joined and lowercased (`Atelier Lumière` → `atelierlumiere`): how it names a company. */
  namePhrases: ReadonlySet<string>;
  hosts: ReadonlySet<string>;
  phones: readonly string[];
  paths: ReadonlySet<string>;
  /** Amounts of money the prose states (`$2,640.00`, `84k EUR`). */
  amounts: readonly number[];
  /** Record references the prose names (`ORD-771204`), normalised as `intent-values.ts` does. */
  references: ReadonlySet<string>;
  /** Their prefixes (`ORD`): the kinds of record the prose is about. */
  referencePrefixes: ReadonlySet<string>;
}

const REFERENCE_IN_TEXT = /\b([A-Z]{1,6})-?(\d[\d-]{2,20}\d)\b/g;
/** Words a company name is made of whatever the company: they name nobody in particular. */
const GENERIC_NAME_WORDS = new Set(
  `inc incorporated corp corporation co company ltd limited llc llp plc gmbh sa ag group holdings
   consulting services solutions partners international global the and of`.split(/\s+/),
);

const URL_HOST = /\b[a-z][a-z0-9+.-]*:\/\/(?:[^\s/?#@"'<>]*@)?([^\s/?#:"'<>]+)/gi;
const EMAIL_DOMAIN = /@([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,24})\b/gi;
const BARE_DOMAIN = /(?<![@\w.-])(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}\b/gi;
const PHONE_IN_TEXT = /\+?\d[\d ().-]{5,20}\d/g;
const PATH_IN_TEXT = /(?:^|[\s("'`])((?:~|\.{1,2})?\/[^\s,;"'`)]+|[a-z]:\\[^\s,;"'`)]+)/gi;
/** A capitalised word that does not open a sentence. */
const CAPITALISED = /(?<!(?:^|[.!?])\s*)\b[A-Z][a-z]+\b/g;
const ANY_CAPITALISED = /\b[A-Z][a-z]+\b/g;
/** Two or more capitalised words in a row, the first not opening a sentence. */
const CAPITALISED_RUN = /(?<!(?:^|[.!?])\s*)\b[A-Z][a-z]+(?:[ -][A-Z][a-z]+)+\b/g;
const NON_ASCII = /[\u0080-\uffff]/;
const COMBINING_MARKS = /\p{M}/gu;

export function explainingContext(text: string): ExplainingContext {
  // Accents folded as the tokenizer folds them, so `Lumière` reads as a name and matches `lumiere`.
  const prose = NON_ASCII.test(text) ? text.normalize("NFKD").replace(COMBINING_MARKS, "") : text;
  const hosts = new Set<string>();
  for (const match of prose.matchAll(URL_HOST)) hosts.add(normaliseHost(match[1] ?? ""));
  for (const match of prose.matchAll(EMAIL_DOMAIN)) hosts.add((match[1] ?? "").toLowerCase());
  for (const match of prose.matchAll(BARE_DOMAIN)) {
    if (isBareHost(match[0])) hosts.add(match[0].toLowerCase());
  }
  const phones: string[] = [];
  for (const match of prose.matchAll(PHONE_IN_TEXT)) {
    const digits = normalisePhone(match[0]);
    if (digits.length >= 7) phones.push(digits);
  }
  const paths = new Set<string>();
  for (const match of prose.matchAll(PATH_IN_TEXT)) paths.add(normalisePath((match[1] ?? "").replace(/[.:]$/, "")));
  const names = new Set<string>();
  for (const match of prose.matchAll(CAPITALISED)) names.add(match[0].toLowerCase());
  const capitalised = new Set<string>();
  for (const match of prose.matchAll(ANY_CAPITALISED)) capitalised.add(match[0].toLowerCase());
  const namePhrases = new Set<string>();
  for (const match of prose.matchAll(CAPITALISED_RUN)) namePhrases.add(match[0].replace(/[ -]/g, "").toLowerCase());
  const references = new Set<string>();
  const referencePrefixes = new Set<string>();
  for (const match of prose.matchAll(REFERENCE_IN_TEXT)) {
    references.add(`${match[1]}-${match[2]}`);
    referencePrefixes.add(match[1] ?? "");
  }
  return {
    references,
    referencePrefixes,
    text: prose.toLowerCase(),
    compact: normaliseAccount(prose),
    tokens: new Set(tokenize(prose)),
    names,
    capitalised,
    namePhrases,
    hosts,
    phones,
    paths,
    amounts: statedAmounts(prose),
  };
}

/** `*` matches any run of characters; the rest is literal, case-insensitive. */
export function globPattern(glob: string): RegExp {
  const body = glob
    .trim()
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`, "i");
}

/** A set, or anything that answers membership like one. */
export interface ValueLookup {
  has(value: string): boolean;
}

export interface ExplainingSources {
  registration: ExplainingContext;
  task: ExplainingContext | null;
  recent: ValueLookup;
  /** The registration's destination patterns; they explain hosts. */
  destinations: readonly RegExp[];
  /** Destination patterns with a literal domain (`*.acme.com`, not `*`); they also explain recipients there. */
  namedDestinations: readonly RegExp[];
  resources: readonly RegExp[];
}

/**
 * Free-mail domains: one address there says nothing about another, so naming the domain
 * (a registration saying "the user's gmail.com inbox") explains no recipient at it.
 */
const SHARED_MAIL_DOMAINS = new Set(
  `gmail.com googlemail.com outlook.com hotmail.com live.com msn.com yahoo.com icloud.com
   me.com aol.com proton.me protonmail.com gmx.com gmx.net mail.com yandex.com zoho.com`.split(/\s+/),
);

function contexts(sources: ExplainingSources): ExplainingContext[] {
  return sources.task ? [sources.registration, sources.task] : [sources.registration];
}

/**
 * `a.b.example.com`, `b.example.com`, `example.com`: a host is explained by any domain it sits
 * under. The host itself is looked up even without a dot (`s3://exports-bucket`, `localhost`);
 * its parents only while they still have one, so a bare top-level domain explains nothing.
 */
function hostOrParentIn(host: string, known: (candidate: string) => boolean): boolean {
  if (known(host)) return true;
  for (
    let candidate = host.slice(host.indexOf(".") + 1);
    candidate.includes(".");
    candidate = candidate.slice(candidate.indexOf(".") + 1)
  ) {
    if (known(candidate)) return true;
  }
  return false;
}

/** Second-level labels under which country domains register names (`acme.co.uk`). */
const SECOND_LEVEL_LABELS = new Set("co com net org gov edu ac".split(" "));

/**
 * The label a domain was registered under (`atelier-lumiere` in `www.atelier-lumiere.fr`),
 * dashes removed; null for an address or a dotless host.
 */
function registeredLabel(host: string): string | null {
  if (/^[\d.:]+$/.test(host)) return null;
  const labels = host.split(".");
  if (labels.length < 2) return null;
  const second = labels[labels.length - 2] ?? "";
  const label = SECOND_LEVEL_LABELS.has(second) && labels.length >= 3 ? (labels[labels.length - 3] ?? "") : second;
  return label.replace(/-/g, "");
}

/**
 * A company the prose names, as the domain spells it: `Atelier Lumière` explains
 * `atelier-lumiere.fr`, `Globex` explains `globex.com`. Only the registered label counts, so
 * `globex.attacker.net` is not explained by `Globex`; and the name must be written as one.
 */
function namedByProse(host: string, context: ExplainingContext): boolean {
  const label = registeredLabel(host);
  if (label === null || label.length < 4) return false;
  return context.names.has(label) || context.namePhrases.has(label);
}

/** The path and each directory above it, up to (not including) the root. */
function pathOrParentIn(path: string, known: (candidate: string) => boolean): boolean {
  for (let candidate = path; candidate.length > 1 && candidate !== "~";) {
    if (known(candidate)) return true;
    const slash = candidate.lastIndexOf("/");
    if (slash <= 0) return false;
    candidate = candidate.slice(0, slash);
  }
  return false;
}

/** Whether a word other than `not` starts with `letter`. */
function initialOf(words: ReadonlySet<string>, letter: string, not: string): boolean {
  for (const word of words) if (word !== not && word.startsWith(letter)) return true;
  return false;
}

function emailExplained(email: string, sources: ExplainingSources): boolean {
  if (sources.recent.has(email) || contexts(sources).some((c) => c.text.includes(email))) return true;
  const domain = email.slice(email.lastIndexOf("@") + 1);
  if (!SHARED_MAIL_DOMAINS.has(domain)) {
    if (sources.namedDestinations.some((p) => p.test(domain))) return true;
    if (hostOrParentIn(domain, (h) => contexts(sources).some((c) => c.hosts.has(h)))) return true;
  }
  // A person the task names: "sync with Priya" explains priya.raman@… — the name must be
  // written as one (`Priya`), so "send the report" does not explain report@…. The common
  // initial-and-name forms count too: "Omar Haddad" explains ohaddad@… and omarh@…, the other
  // word of the pair may open the sentence, but one of the two must be a name.
  const task = sources.task;
  if (task === null) return false;
  return email
    .slice(0, email.indexOf("@"))
    .split(/[^a-z]+/)
    .some((part) => {
      if (part.length < 3) return false;
      if (task.names.has(part)) return true;
      if (part.length < 4) return false;
      const [initial, rest, head, last] = [part.slice(0, 1), part.slice(1), part.slice(0, -1), part.slice(-1)];
      return (
        (task.names.has(rest) && initialOf(task.capitalised, initial, rest)) ||
        (task.capitalised.has(head) && initialOf(task.names, last, head))
      );
    });
}

export function isExplained(item: IntentValue, sources: ExplainingSources): boolean {
  const { value } = item;
  switch (item.kind) {
    case "email":
      return emailExplained(value, sources);
    case "host":
      return (
        sources.destinations.some((p) => p.test(value)) ||
        hostOrParentIn(value, (h) => sources.recent.has(h) || contexts(sources).some((c) => c.hosts.has(h))) ||
        contexts(sources).some((c) => namedByProse(value, c))
      );
    case "phone": {
      const tail = value.slice(-9);
      return sources.recent.has(value) || contexts(sources).some((c) => c.phones.some((p) => p.endsWith(tail)));
    }
    case "account":
      return sources.recent.has(value) || contexts(sources).some((c) => c.compact.includes(value));
    case "handle": {
      const name = value.slice(1);
      return sources.recent.has(value) || contexts(sources).some((c) => c.text.includes(value) || c.tokens.has(name));
    }
    case "reference": {
      if (sources.recent.has(value) || contexts(sources).some((c) => c.references.has(value))) return true;
      // Only a task that names a record of the same kind makes another one of that kind a departure.
      const prefix = value.slice(0, value.indexOf("-"));
      return !(sources.task?.referencePrefixes.has(prefix) ?? false);
    }
    case "payee": {
      // As with amounts: a task that names no amount and no record ("pay this week's approved
      // invoices") leaves the payees to the agent's look-ups, and nothing is judged.
      const task = sources.task;
      if (task === null || (task.amounts.length === 0 && task.references.size === 0)) return true;
      if (sources.recent.has(value)) return true;
      // Any distinctive word of the name, written as a name in the task or the registration.
      const words = value.split(/[^\p{L}\d]+/u).filter((w) => w.length >= 3 && !GENERIC_NAME_WORDS.has(w));
      const folded = words.map((w) => w.normalize("NFKD").replace(COMBINING_MARKS, ""));
      return (
        folded.length === 0 ||
        contexts(sources).some((c) => folded.some((w) => c.capitalised.has(w) || c.tokens.has(w)))
      );
    }
    case "path": {
      if (sources.resources.some((p) => p.test(value))) return true;
      if (pathOrParentIn(value, (p) => sources.recent.has(p) || contexts(sources).some((c) => c.paths.has(p)))) {
        return true;
      }
      // The task may name the file without its directory ("summarise notes.txt").
      const base = value.slice(value.lastIndexOf("/") + 1);
      return base.length >= 4 && base.includes(".") && contexts(sources).some((c) => c.text.includes(base));
    }
  }
}
