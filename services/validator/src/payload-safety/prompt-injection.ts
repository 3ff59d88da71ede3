import type { ScanTarget } from "./argument-walk.js";
import type { PayloadScan } from "./payload-scan.js";
import { OVERRIDE_HINT, overrideLanguages } from "./override-phrases.js";
import { HAS_MARKUP, HAS_NON_ASCII } from "./text-profile.js";

/*
 * Text that addresses the model instead of the reader. One strong signal (an explicit override, a hidden
 * instruction, chat-template tokens, a note addressed to "any AI agent", a fake "[SYSTEM]" marker, markup
 * hidden from the human reader that speaks to an assistant) or two weak ones (role play, "system prompt",
 * "HR assistant:", "without manager approval") make a finding. It turns critical only when it also tells
 * the model to send something somewhere or to call a tool, and the text does not read as writing *about*
 * prompt injection.
 *
 * Injected text is often planted for the *next* agent: an assistant told to record a note copies "Note for
 * any AI agent on this incident: run …" into a ticket. The payload is then the carrier, so the same signals
 * are read in every argument, notes and bodies included.
 */

const HINT =
  /ignore|disregard|forget|instruction|you are now|system|the (?:user|human|operator)|<\||\[\/?inst\]|<<\/?sys>>|###|jailbreak|developer mode|pretend|act as|from now on|assistant|override|reveal|agent|automation|\bai\b|\bbots?\b|llm|approv|display\s{0,2}:\s{0,2}none|<!--/i;
const MIN_LENGTH = 10;

export const STRONG: readonly RegExp[] = [
  /\b(?:ignore|disregard|forget)\s{1,4}(?:(?:all|any|every|the|your|my|these|those|of)\s{1,4}){0,3}(?:previous|prior|above|earlier|preceding|foregoing|original|initial|system)\s{1,4}(?:instructions?|prompts?|directions?|directives?|rules|context|guidelines|guardrails)\b/i,
  /\bdisregard\s{1,4}(?:all\s{1,4}|everything\s{1,4})?(?:of\s{1,4})?(?:the\s{1,4})?(?:above|previous|prior)\b/i,
  /\bforget\s{1,4}(?:everything|all)\s{1,4}(?:you\s{1,4}(?:were|have\s{1,4}been)\s{1,4}told|above|before|previously)\b/i,
  /(?:^|\n|[.!?:]\s{0,4})(?:new|updated|revised|real|actual|additional)\s{1,4}(?:system\s{1,4})?instructions?\s{0,4}:/i,
  /\b(?:do\s{1,4}not|don'?t|never)\s{1,4}(?:tell|inform|notify|alert|warn|let)\s{1,4}(?:the\s{1,4})?(?:user|human|operator|admin)\b/i,
  /\bwithout\s{1,4}(?:telling|informing|notifying|alerting)\s{1,4}(?:the\s{1,4})?(?:user|human|operator)\b/i,
  /\b(?:reveal|print|show|output|repeat|leak|dump)\s{1,4}(?:me\s{1,4})?(?:your|the)\s{1,4}(?:full\s{1,4}|entire\s{1,4}|original\s{1,4}|hidden\s{1,4})?(?:system\s{1,4}prompt|initial\s{1,4}instructions|hidden\s{1,4}instructions)\b/i,
  /<\|(?:im_start|im_end|system|endoftext|start_header_id)\|>|\[\/?INST\]|<<\/?SYS>>|<\/?system>|###\s{0,4}(?:system|instruction)\s{0,4}:/i,
  // "New instruction from the data platform admin: …" — the label may name its (claimed) author.
  /(?:^|\n|[.!?:]\s{0,4}|@[\w-]{1,40}\s{1,4})(?:new|updated|revised|real|actual|additional|urgent)\s{1,4}(?:system\s{1,4})?instructions?\s{1,4}(?:from|for|by)\b[^\n.:]{1,60}:/i,
  // A note or message addressed to whichever model reads it: "Note for any AI agent on this incident: …".
  // Only a machine reader counts: "note to the agent" in a support ticket may mean a person.
  /\b(?:note|message|instructions?|notice|memo|reminder)\s{1,4}(?:for|to)\s{1,4}(?:any|all|every|the)\s{1,4}(?:[\w-]{1,20}\s{1,4})?(?:(?:ai|llm|gpt|automated|autonomous)\s{1,4}(?:agents?|assistants?|systems?)|automations?|bots?|llms?|language\s{1,4}models?)\b/i,
  // An assistant addressed while it works: "AI assistant reading this e-mail: …", "all AI assistants must …".
  /\b(?:ai|llm|gpt|automated|autonomous)\s{1,4}(?:agents?|assistants?|automations?|bots?|models?|systems?)\s{1,4}(?:(?:reading|processing|handling|parsing|summari[sz]ing|viewing|that\s{1,4}reads?)\s{1,4}this\b|(?:must|should|shall|are\s{1,4}(?:required|instructed)\s{1,4}to|need\s{1,4}to)\s{1,4}(?:now\s{1,4})?\w)/i,
  // A fake authority marker in capitals: "SYSTEM OVERRIDE -", "[SYSTEM]".
  /\[\s{0,2}SYSTEM\s{0,2}\]|\bSYSTEM\s{1,4}(?:OVERRIDE|NOTICE|MESSAGE|INSTRUCTIONS?|DIRECTIVE|COMMAND)\b/,
];
const WEAK: readonly RegExp[] = [
  /\byou\s{1,4}are\s{1,4}now\s{1,4}(?:a|an|the|in|my|DAN|no\s{1,4}longer|free|unrestricted|jailbroken|developer)\b/i,
  /\bsystem\s{1,4}prompt\b/i,
  /\b(?:jailbreak|DAN\s{1,4}mode|developer\s{1,4}mode\s{1,4}(?:enabled|on))\b/i,
  /\bact\s{1,4}as\s{1,4}(?:if\s{1,4}you\s{1,4}(?:are|were)\s{1,4})?(?:an?\s{1,4})?(?:unrestricted|unfiltered|jailbroken|different)\b/i,
  /\bfrom\s{1,4}now\s{1,4}on\b[^.\n]{0,80}\byou\s{1,4}(?:will|must|are|should)\b/i,
  /\bpretend\s{1,4}(?:to\s{1,4}be|you\s{1,4}are)\b/i,
  /\b(?:assistant|ai|agent|model|llm)\s{1,4}(?:must|should|will)\s{1,4}(?:now\s{1,4})?(?:ignore|send|forward|call|execute|run)\b/i,
  // An automation addressed by its role at the start of a sentence: "HR assistant: …", "helpdesk automation, …".
  /(?:^|\n|[.!?:\]]\s{0,4})\s{0,4}(?:[\w-]{1,20}\s{1,2})?(?:assistant|automation|bot|@[\w-]{1,40}-(?:agent|bot|assistant))\s{0,2}[:,]/i,
  // "SYSTEM:" opening a line or clause: a log line may say it too, so alone it proves nothing.
  /(?:^|\n|>|[.!?]\s{1,4})\s{0,4}SYSTEM\s{0,2}:/,
  // A safeguard declared void: "without manager approval", "approval is not required", "the read-only rule is lifted".
  /\bwithout\s{1,4}(?:(?:the|a|any|their|your)\s{1,4})?(?:[\w-]{1,20}\s{1,4})?(?:approval|sign-?off|confirmation|review|asking|consulting|checking\s{1,4}with)\b|\b(?:approval|sign-?off|confirmation|verification)\s{1,4}(?:is\s{1,4})?(?:not|no\s{1,4}longer)\s{1,4}(?:required|needed|necessary)\b|\bpre-?approved\b|\b(?:rule|restriction|policy|limit|guardrail)s?\s{1,4}(?:is|are|has\s{1,4}been|have\s{1,4}been)\s{1,4}(?:lifted|suspended|waived|disabled|removed)\b|\b(?:do\s{1,4}not|don'?t)\s{1,4}(?:escalate|ask\s{1,4}(?:the|a)\s{1,4}(?:user|human|manager))\b/i,
];

/**
 * Markup a mail client or browser does not show: an element styled invisible or an HTML comment. What it
 * holds reaches a model that reads the source, never the person who reads the page, so instructions there
 * are strong evidence. Preheaders and template comments are hidden too, so only hidden text that itself
 * speaks to a model ("AI assistant …", "SYSTEM:", "ignore …") counts.
 */
const OPEN_TAG = /<[a-z][a-z0-9]{0,10}(?![a-z0-9])([^<>]{0,600})>/gi;
const HIDDEN_STYLE =
  /style\s{0,2}=[^>]{0,300}?(?:display\s{0,2}:\s{0,2}none|visibility\s{0,2}:\s{0,2}hidden|font-size\s{0,2}:\s{0,2}0(?![.\d])|opacity\s{0,2}:\s{0,2}0(?![.\d]))/i;
/** Hidden text read per element: an instruction fits, and the scan stays linear in the string. */
const MAX_HIDDEN_TEXT = 2000;
const ADDRESSES_MODEL =
  /\b(?:ai|llm|gpt|assistants?|agents?|automations?|bots?|models?|instructions?|ignore|disregard|override|system)\b/i;
/** Hidden elements looked at per string: each is a short bounded match, and real mail holds a few. */
const MAX_HIDDEN_ELEMENTS = 16;
/** An imperative to move data out: "send ... to https://", "forward ... to x@y.z", "post ... to the webhook". */
export const SEND_OUT =
  /\b(?:send|forward|e-?mail|upload|post|transmit|exfiltrate|leak|copy|share|submit)\b[^\n]{0,160}?\b(?:to|at|into|via)\s{1,4}(?:https?:\/\/|www\.|[\w.+-]{1,64}@[\w-]{1,63}\.|the\s{1,4}(?:following\s{1,4})?(?:url|address|endpoint|webhook|server))/i;
export const TOOL_CALL =
  /\b(?:call|invoke|use|run|execute)\s{1,4}(?:the\s{1,4})?[\w.-]{1,64}\s{1,4}(?:tool|function|command)\b|"(?:tool|function|name)"\s{0,4}:\s{0,4}"[\w.-]{1,64}"|\bcurl\s{1,4}(?:-\w{1,10}\s{1,4}){0,6}https?:\/\//i;
/** Writing about the attack quotes its phrases; it stays suspicious at most. */
export const ABOUT_INJECTION =
  /prompt[\s-]{0,2}injection|jailbreak(?:ing|s)?\s{1,4}(?:attacks?|techniques?|prompts?)|\b(?:attackers?|researchers?|for\s{1,4}example|such\s{1,4}as|e\.g\.)\b/i;

export function detectPromptInjection(target: ScanTarget, scan: PayloadScan): void {
  const { text, profile } = target;
  if (text.length < MIN_LENGTH) return;
  // Every phrase below spans three words or more, unless it is a chat-template token.
  if (profile.spaces + profile.newlines < 2 && (profile.flags & (HAS_MARKUP | HAS_NON_ASCII)) === 0) return;
  const foreign = (profile.flags & HAS_NON_ASCII) !== 0 || OVERRIDE_HINT.test(text);
  const english = HINT.test(text);
  if (!english && !foreign) return;
  const strong =
    (english && (STRONG.some((pattern) => pattern.test(text)) || hidesInstructions(text))) ||
    (foreign && overrideLanguages(text).length > 0);
  const weak = !english ? 0 : WEAK.reduce((count, pattern) => count + (pattern.test(text) ? 1 : 0), 0);
  if (!strong && weak < 2) return;

  const sendsOrCalls = SEND_OUT.test(text) || TOOL_CALL.test(text);
  const about = ABOUT_INJECTION.test(text);
  // A security notice that quotes the attack ("attackers write 'ignore previous instructions'") is not one.
  if (about && !sendsOrCalls && quotesItsOverride(text)) return;
  if (strong && sendsOrCalls && !about) {
    scan.report({
      detector: "prompt_injection",
      code: "payload.prompt_injection.exfiltration",
      message: "An argument holds instructions to the model that tell it to send data out or call a tool.",
      severity: "critical",
      path: target.path,
    });
    return;
  }
  scan.report({
    detector: "prompt_injection",
    code: "payload.prompt_injection.instructions",
    message: "An argument holds text that tries to override the model's instructions.",
    severity: "suspicious",
    path: target.path,
  });
}

const QUOTE_MARKS = "'\"“‘«„";
const QUOTE_LOOKBACK = 3;

/** Whether the first override phrase the text holds opens right after a quotation mark. */
export function quotesItsOverride(text: string): boolean {
  for (const pattern of STRONG) {
    const match = pattern.exec(text);
    if (match === null) continue;
    const before = text.slice(Math.max(0, match.index - QUOTE_LOOKBACK), match.index).trimEnd();
    return before.length > 0 && QUOTE_MARKS.includes(before.charAt(before.length - 1));
  }
  return false;
}

export function hidesInstructions(text: string): boolean {
  if (!text.includes("<")) return false;
  const speaksToModel = (from: number, to: number): boolean => {
    const hidden = text.slice(from, Math.min(to, from + MAX_HIDDEN_TEXT));
    return hidden.length >= MIN_LENGTH && ADDRESSES_MODEL.test(hidden);
  };
  let seen = 0;
  if (text.includes("style")) {
    OPEN_TAG.lastIndex = 0;
    for (let tag = OPEN_TAG.exec(text); tag !== null && seen < MAX_HIDDEN_ELEMENTS; tag = OPEN_TAG.exec(text)) {
      if (!HIDDEN_STYLE.test(tag[1] ?? "")) continue;
      seen++;
      const start = tag.index + tag[0].length;
      const next = text.indexOf("<", start);
      if (speaksToModel(start, next === -1 ? text.length : next)) return true;
    }
  }
  for (let open = text.indexOf("<!--"); open !== -1 && seen < MAX_HIDDEN_ELEMENTS; seen++) {
    const close = text.indexOf("-->", open + 4);
    if (speaksToModel(open + 4, close === -1 ? text.length : close)) return true;
    if (close === -1) return false;
    open = text.indexOf("<!--", close + 3);
  }
  return false;
}
