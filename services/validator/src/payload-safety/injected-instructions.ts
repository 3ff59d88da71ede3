import { foldText } from "./normalise-text.js";
import { overrideLanguages } from "./override-phrases.js";
import { ABOUT_INJECTION, STRONG, hidesInstructions, quotesItsOverride } from "./prompt-injection.js";

/*
 * Whether a text an agent read (a tool's output: a review, an e-mail body, an event description, a note)
 * carries instructions aimed at the model rather than information for it. This is the signal behind
 * indirect prompt injection: the attacker cannot talk to the model, so they write into data the model
 * will read, and what they write is a request to act on the user's tools and accounts.
 *
 * Two kinds of evidence:
 * - text that only a model is the audience for: override phrasing in any of a dozen languages, fake
 *   chat turns and template tokens, notes addressed to "any AI agent", hidden markup that speaks to an
 *   assistant, an "IMPORTANT!!! new instructions" banner;
 * - a polite request, opening a clause, to act on accounts a person's assistant operates: move money,
 *   grant access, change sharing, delete in bulk, or fetch the user's data and send it to an address.
 *   Ordinary mail asks for things too ("please send me the report by Friday"); what it rarely does is
 *   name money with a payment verb, the writer's own passwords, records or accounts, an access grant,
 *   or the user's data together with a third-party address. Such cues are counted in the sentence the
 *   request opens; one strong cue or two weak ones make it an instruction.
 */

/** What is read of one text: injected text sits within the first few hundred KiB of any real output. */
const MAX_TEXT_LENGTH = 256 * 1024;
/** Requests examined per text: each costs one bounded window, and real outputs hold a handful. */
const MAX_REQUESTS = 32;
/** Characters after a request's start that are read as its sentence (and the one after it). */
const REQUEST_WINDOW = 320;

const ESCAPED_LINE_BREAK = /(?:\\r)?\\n/g;

export interface InjectedInstructions {
  injected: boolean;
  /** Stable labels of what was found, e.g. "override:es", "fake_turn", "request:send_user_data". */
  phrases: string[];
  /**
   * The text from where the instructions begin (folded): from the request when only a request was
   * found, else the whole text. What the agent was told to do is in here; what precedes a planted
   * request (the record's own words and ids) is not.
   */
  excerpt: string;
}

const FAKE_TURN =
  /<\|(?:im_start|im_end|system|endoftext|start_header_id|assistant|user)\|>|\[\/?inst\]|<<\/?sys>>|<\/?(?:system|assistant)>|(?:^|\n)\s{0,4}#{0,4}\s{0,2}(?:system|assistant|instruction)\s{0,2}:/i;
const URGENT_BANNER =
  /\b(?:important|attention|urgent|warning|notice)\s{0,2}(?:!{2,}|:)[^\n]{0,80}?\b(?:new\s{1,4}(?:instructions?|task|goal)|instructions?\s{1,4}(?:have\s{1,4})?changed|you\s{1,4}(?:must|should|need\s{1,4}to)|assistant|ai\b|agent)/i;

/**
 * A request opening a clause: the start of the text, a sentence, a line or a quoted value (tool outputs
 * are JSON or Python reprs, so a planted instruction usually follows a quote), then an optional polite
 * lead, then a verb that acts on something.
 */
const REQUEST =
  /(?:^|[.!?\n]\s{0,4}|["'“‘:>(]\s{0,4}|\b(?:and|then)\s{1,4}|[,;]\s{1,4})(?:(?:first|also|now|next|then)\s{0,2},?\s{1,3})?(?:please\s{1,3}|kindly\s{1,3}|(?:can|could|would|will)\s{1,3}you\s{1,3}(?:please\s{1,3})?|i\s{1,3}(?:need|want)\s{1,3}you\s{1,3}to\s{1,3}|you\s{1,3}(?:must|should|need\s{1,3}to)\s{1,3})?(grant|give|transfer|wire|pay|initiate|deposit|withdraw|send|e-?mail|forward|share|post|tweet|upload|delete|remove|erase|wipe|move|copy|update|change|modify|set|switch|turn|add|unlock|lock|disable|deactivate|enable|stop|dispatch|redirect|schedule|book|cancel|purchase|buy|order|sell|retrieve|retrive|get|fetch|download|find|search|list|access|use|invite|follow|install|execute|run|reset|approve|whitelist|publish|close|open|provide|show|check|view)\b/gi;

const RUN_ON_REQUEST =
  /(?<=[\p{L}\p{N}])\s{1,4}(?=(?:Please|Kindly|Can you|Could you|Get|Retrieve|Send|Transfer|Grant|Access|Email|Forward|Share|Delete|Update|Change|Move)\s)/gu;

interface Cue {
  label: string;
  strong: boolean;
  pattern: RegExp;
}

const CUES: readonly Cue[] = [
  {
    label: "money",
    strong: true,
    pattern:
      /\b(?:transfer|pay|payment|deposit|withdraw|send|wire|sell|buy|purchase)\b[^.!?\n]{0,80}?(?:[$€£]\s{0,2}\d|\b\d[\d,.]{0,15}\s{0,2}(?:usd|eur|gbp|dollars?|euros?|bitcoins?|btc|eth(?:er)?|shares|units)\b)/i,
  },
  {
    label: "access_grant",
    strong: true,
    pattern:
      /\bgrant\b[^.!?\n]{0,60}?\baccess\b|\b(?:sharing|access|permission|privacy|security)\s{1,4}(?:settings?|polic(?:y|ies))\b|\bwhitelist\b|\ballow-?list\b|\bcan_(?:edit|view)\b|\b(?:admin|owner)\s{1,4}(?:rights|access|role)\b/i,
  },
  {
    label: "user_data",
    strong: true,
    pattern:
      /\bmy\s{1,4}(?:[\w/.'-]{1,24}\s{1,4}){0,3}?(?:accounts?|passwords?|credentials|personal|details|information|data|records?|history|addresses|files|documents|payees|devices?|security|genetic|medical|health|bank|shipment|policy|location|contacts|photos|identity|messages|emails|methods|holdings|prescriptions|transactions|statements|keys|tokens|notes|orders|reservations)\b/i,
  },
  {
    // An operation on something the writer calls theirs: "withdraw … to my bank account", "unlock my door".
    label: "act_on_user_resource",
    strong: true,
    pattern:
      /^(?:[\w,]{1,12}\s{1,3}){0,4}?(?:transfer|withdraw|deposit|sell|delete|remove|erase|wipe|unlock|disable|deactivate|redirect|grant|reset)\b[^.!?\n]{0,80}?\bmy\s{1,4}[a-z]/i,
  },
  {
    label: "bulk_change",
    strong: true,
    pattern: /\b(?:delete|remove|erase|wipe|move|cancel|unlock)\s{1,4}(?:all|every|everything)\b/i,
  },
  {
    // The user's data sent to an address: not "send me", which is how a correspondent asks for a reply.
    label: "send_to_address",
    strong: true,
    pattern:
      /\b(?:send|e-?mail|forward|share)\b(?!\s{1,4}(?:me|us)\b)[^.!?\n]{0,120}?\b(?:to|at)\s{1,4}(?:[\w'’-]{1,20}[:,]?\s{1,4}){0,6}?['"]?[\w.+-]{1,64}@[\w-]{1,63}\.[\w.]{2,24}/i,
  },
  { label: "my_resource", strong: false, pattern: /\bmy\s{1,4}[a-z]/i },
  {
    label: "identifier",
    strong: false,
    pattern:
      /\b(?:id|code|no|number|account)\b\s{0,2}[:#]?\s{0,2}['"(]?[\w-]{0,30}\d|\b(?:id|code)[\w-]{0,12}\d|_id\b|\b\d{2,6}-\d{2,6}-\d{2,6}\b/i,
  },
  {
    label: "set_value",
    strong: false,
    pattern: /\b(?:change|set|update|modify|switch)\b[^.!?\n]{0,100}?\bto\s{1,4}['"]/i,
  },
  { label: "tool", strong: false, pattern: /\b(?:tool|system|app|api)\b/i },
  { label: "path", strong: false, pattern: /['"](?:~|\/)[\w./-]{1,200}['"]/ },
];

/**
 * Where the string value a request sits in ends: the closing quote of a JSON or Python field, or a blank
 * line. Cues in the next field (an id, a timestamp) belong to the record, not to the request.
 */
const VALUE_END = /["'][,}\]]|\n\s{0,40}["'{}\]]|\n\s{0,8}\n/;

function withinValue(window: string): string {
  const end = window.search(VALUE_END);
  return end === -1 ? window : window.slice(0, end);
}

/** Whether a text carries instructions aimed at the model, and which kinds. Linear in the text. */
export function findInjectedInstructions(text: string): InjectedInstructions {
  const bounded = text.length > MAX_TEXT_LENGTH ? text.slice(0, MAX_TEXT_LENGTH) : text;
  // Tool outputs are often JSON text, where a line break inside a value is written "\n".
  const folded = foldText(bounded).replace(ESCAPED_LINE_BREAK, "\n");
  const phrases: string[] = [];
  // Writing about injection quotes its phrases ("attackers write 'ignore previous instructions'").
  const quotesAnAttack = ABOUT_INJECTION.test(folded) && quotesItsOverride(folded);

  for (const language of overrideLanguages(folded)) phrases.push(`override:${language}`);
  if (!quotesAnAttack && STRONG.some((pattern) => pattern.test(folded))) phrases.push("addressed_to_model");
  if (FAKE_TURN.test(folded)) phrases.push("fake_turn");
  if (URGENT_BANNER.test(folded)) phrases.push("urgent_banner");
  if (hidesInstructions(folded)) phrases.push("hidden_text");
  // A capitalised polite lead after a word ("Omar Please retrieve …") opens a sentence that lost its
  // stop: text appended to a field without punctuation. Mid-sentence, "please" is written in lower case.
  const requestText = folded.replace(RUN_ON_REQUEST, ". ");
  const request = requestToAgent(requestText);
  if (request !== null) phrases.push(`request:${request.label}`);
  const onlyRequest = request !== null && phrases.length === 1;
  return {
    injected: phrases.length > 0,
    phrases,
    excerpt: onlyRequest ? requestText.slice(sentenceStart(requestText, request.start)) : folded,
  };
}

/** Where the sentence holding `at` begins: after the last stop, line break or quote before it. */
function sentenceStart(text: string, at: number): number {
  for (let i = at - 1; i >= 0 && at - i <= REQUEST_WINDOW; i--) {
    const c = text.charCodeAt(i);
    // . ! ? newline " '
    if (c === 0x2e || c === 0x21 || c === 0x3f || c === 0x0a || c === 0x22 || c === 0x27) return i + 1;
  }
  return Math.max(0, at - REQUEST_WINDOW);
}

function requestToAgent(text: string): { label: string; start: number } | null {
  REQUEST.lastIndex = 0;
  let seen = 0;
  for (let match = REQUEST.exec(text); match !== null && seen < MAX_REQUESTS; match = REQUEST.exec(text)) {
    seen++;
    const start = match.index + match[0].length - (match[1] ?? "").length;
    const window = withinValue(text.slice(start, start + REQUEST_WINDOW));
    let strongCue: string | null = null;
    let weak = 0;
    for (const cue of CUES) {
      if (!cue.pattern.test(window)) continue;
      if (cue.strong) {
        strongCue = cue.label;
        break;
      }
      weak++;
    }
    if (strongCue !== null) return { label: strongCue, start };
    if (weak >= 2) return { label: "weak_cues", start };
  }
  return null;
}
