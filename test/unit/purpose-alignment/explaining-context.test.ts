import { describe, expect, it } from "vitest";
import {
  type ExplainingSources,
  explainingContext,
  isExplained,
} from "@mandate/validator/purpose-alignment/explaining-context";
import type { IntentValue } from "@mandate/validator/purpose-alignment/intent-values";

function sources(registration: string, task: string | null): ExplainingSources {
  return {
    registration: explainingContext(registration),
    task: task === null ? null : explainingContext(task),
    recent: new Set(),
    destinations: [],
    namedDestinations: [],
    resources: [],
  };
}

const host = (value: string): IntentValue => ({ kind: "host", value });
const email = (value: string): IntentValue => ({ kind: "email", value });

describe("isExplained", () => {
  it("explains a dotless host the registration names, such as a storage bucket", () => {
    const s = sources("Writes reports to s3://team-reports-bucket for the finance team.", null);
    expect(isExplained(host("team-reports-bucket"), s)).toBe(true);
    expect(isExplained(host("other-bucket"), s)).toBe(false);
  });

  it("does not let a bare top-level domain explain a host", () => {
    const s = sources("Looks things up on example.com.", null);
    expect(isExplained(host("evil.com"), s)).toBe(false);
  });

  it("explains the initial-and-surname address of a person the task names", () => {
    const s = sources("IT helpdesk agent.", "Nadia Okafor is locked out of her laptop.");
    expect(isExplained(email("nokafor@corp.example"), s)).toBe(true);
    expect(isExplained(email("nadiao@corp.example"), s)).toBe(true);
    expect(isExplained(email("xokafor@corp.example"), s)).toBe(false);
    expect(isExplained(email("jsmith@corp.example"), s)).toBe(false);
  });

  it("explains the domain of a company the task names, accents folded, but not a lookalike under it", () => {
    const s = sources("Sales assistant.", "Look up Maison Dorée before Tuesday's call.");
    expect(isExplained(host("maison-doree.fr"), s)).toBe(true);
    expect(isExplained(host("www.maisondoree.co.uk"), s)).toBe(true);
    expect(isExplained(host("maison-doree.collector.example"), s)).toBe(false);
    expect(isExplained(host("doree-payments.com"), s)).toBe(false);
  });
});
