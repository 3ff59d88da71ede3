import { describe, expect, it } from "vitest";
import { ActionVectorHistory } from "../../../services/validator/src/purpose-alignment/action-vector-history.js";
import { embedText } from "../../../services/validator/src/purpose-alignment/text-embedding.js";
import { loadWordVectors } from "../../../services/validator/src/purpose-alignment/word-vectors.js";

const vector = (text: string): Float32Array => embedText(loadWordVectors(), text).vector;

describe("ActionVectorHistory", () => {
  it("has nothing to say before it has seen enough actions", () => {
    const history = new ActionVectorHistory(100);
    expect(history.departure(vector("read the invoice"))).toBeNull();
    history.record(vector("read the invoice"));
    expect(history.departure(vector("read the invoice"), 2)).toBeNull();
  });

  it("scores a repeat of approved behaviour near zero and a new kind of action higher", () => {
    const history = new ActionVectorHistory(100);
    for (const text of [
      "list unpaid invoices",
      "pay the supplier invoice",
      "record the payment in the ledger",
      "list invoices due this week",
    ]) {
      history.record(vector(text));
    }
    const repeat = history.departure(vector("pay the supplier invoice"));
    const usual = history.departure(vector("pay the invoice from the printer supplier"));
    const unusual = history.departure(vector("post a photo of the team party on social media"));
    expect(repeat?.departure).toBeCloseTo(0, 5);
    expect(usual?.departure ?? 1).toBeLessThan(unusual?.departure ?? 0);
    expect(unusual?.observed).toBe(4);
  });

  it("forgets the oldest actions once full", () => {
    const history = new ActionVectorHistory(100, 2);
    history.record(vector("deploy the api to staging"));
    history.record(vector("summarise the unread e-mails"));
    history.record(vector("draft a reply to the meeting request"));
    expect(history.observed).toBe(2);
    const first = history.departure(vector("deploy the api to staging"));
    expect(first?.departure ?? 0).toBeGreaterThan(0.2);
  });
});
