import type { ScanTarget } from "./argument-walk.js";
import type { PayloadScan } from "./payload-scan.js";
import { HAS_MARKUP } from "./text-profile.js";

/*
 * Text that addresses the model instead of the reader. One strong signal (an explicit override, a hidden
 * instruction, chat-template tokens) or two weak ones (role play, "system prompt") make a finding. It
 * turns critical only when it also tells the model to send something somewhere or to call a tool, and the
 * text does not read as writing *about* prompt injection.
 */

const HINT =
  /ignore|disregard|forget|instruction|you are now|system prompt|the (?:user|human|operator)|<\||\[\/?inst\]|<<\/?sys>>|<\/?system>|###|jailbreak|developer mode|pretend|act as|from now on|assistant|override|reveal/i;
const MIN_LENGTH = 10;

const STRONG: readonly RegExp[] = [
  /\b(?:ignore|disregard|forget)\s{1,4}(?:(?:all|any|every|the|your|my|these|those|of)\s{1,4}){0,3}(?:previous|prior|above|earlier|preceding|foregoing|original|initial|system)\s{1,4}(?:instructions?|prompts?|directions?|directives?|rules|context|guidelines|guardrails)\b/i,
  /\bdisregard\s{1,4}(?:all\s{1,4}|everything\s{1,4})?(?:of\s{1,4})?(?:the\s{1,4})?(?:above|previous|prior)\b/i,
  /\bforget\s{1,4}(?:everything|all)\s{1,4}(?:you\s{1,4}(?:were|have\s{1,4}been)\s{1,4}told|above|before|previously)\b/i,
  /(?:^|\n|[.!?:]\s{0,4})(?:new|updated|revised|real|actual|additional)\s{1,4}(?:system\s{1,4})?instructions?\s{0,4}:/i,
  /\b(?:do\s{1,4}not|don'?t|never)\s{1,4}(?:tell|inform|notify|alert|warn|let)\s{1,4}(?:the\s{1,4})?(?:user|human|operator|admin)\b/i,
  /\bwithout\s{1,4}(?:telling|informing|notifying|alerting)\s{1,4}(?:the\s{1,4})?(?:user|human|operator)\b/i,
  /\b(?:reveal|print|show|output|repeat|leak|dump)\s{1,4}(?:me\s{1,4})?(?:your|the)\s{1,4}(?:full\s{1,4}|entire\s{1,4}|original\s{1,4}|hidden\s{1,4})?(?:system\s{1,4}prompt|initial\s{1,4}instructions|hidden\s{1,4}instructions)\b/i,
  /<\|(?:im_start|im_end|system|endoftext|start_header_id)\|>|\[\/?INST\]|<<\/?SYS>>|<\/?system>|###\s{0,4}(?:system|instruction)\s{0,4}:/i,
];
const WEAK: readonly RegExp[] = [
  /\byou\s{1,4}are\s{1,4}now\s{1,4}(?:a|an|the|in|my|DAN|no\s{1,4}longer|free|unrestricted|jailbroken|developer)\b/i,
  /\bsystem\s{1,4}prompt\b/i,
  /\b(?:jailbreak|DAN\s{1,4}mode|developer\s{1,4}mode\s{1,4}(?:enabled|on))\b/i,
  /\bact\s{1,4}as\s{1,4}(?:if\s{1,4}you\s{1,4}(?:are|were)\s{1,4})?(?:an?\s{1,4})?(?:unrestricted|unfiltered|jailbroken|different)\b/i,
  /\bfrom\s{1,4}now\s{1,4}on\b[^.\n]{0,80}\byou\s{1,4}(?:will|must|are|should)\b/i,
  /\bpretend\s{1,4}(?:to\s{1,4}be|you\s{1,4}are)\b/i,
  /\b(?:assistant|ai|agent|model|llm)\s{1,4}(?:must|should|will)\s{1,4}(?:now\s{1,4})?(?:ignore|send|forward|call|execute|run)\b/i,
];
/** An imperative to move data out: "send ... to https://", "forward ... to x@y.z", "post ... to the webhook". */
const SEND_OUT =
  /\b(?:send|forward|e-?mail|upload|post|transmit|exfiltrate|leak|copy|share|submit)\b[^\n]{0,160}?\b(?:to|at|into|via)\s{1,4}(?:https?:\/\/|www\.|[\w.+-]{1,64}@[\w-]{1,63}\.|the\s{1,4}(?:following\s{1,4})?(?:url|address|endpoint|webhook|server))/i;
const TOOL_CALL =
  /\b(?:call|invoke|use|run|execute)\s{1,4}(?:the\s{1,4})?[\w.-]{1,64}\s{1,4}(?:tool|function|command)\b|"(?:tool|function|name)"\s{0,4}:\s{0,4}"[\w.-]{1,64}"|\bcurl\s{1,4}(?:-\w{1,10}\s{1,4}){0,6}https?:\/\//i;
/** Writing about the attack quotes its phrases; it stays suspicious at most. */
const ABOUT_INJECTION =
  /prompt[\s-]{0,2}injection|jailbreak(?:ing|s)?\s{1,4}(?:attacks?|techniques?|prompts?)|\b(?:attackers?|researchers?|for\s{1,4}example|such\s{1,4}as|e\.g\.)\b/i;

export function detectPromptInjection(target: ScanTarget, scan: PayloadScan): void {
  const { text, profile } = target;
  if (text.length < MIN_LENGTH) return;
  // Every phrase below spans three words or more, unless it is a chat-template token.
  if (profile.spaces + profile.newlines < 2 && (profile.flags & HAS_MARKUP) === 0) return;
  if (!HINT.test(text)) return;
  const strong = STRONG.some((pattern) => pattern.test(text));
  const weak = WEAK.reduce((count, pattern) => count + (pattern.test(text) ? 1 : 0), 0);
  if (!strong && weak < 2) return;

  if (strong && (SEND_OUT.test(text) || TOOL_CALL.test(text)) && !ABOUT_INJECTION.test(text)) {
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
