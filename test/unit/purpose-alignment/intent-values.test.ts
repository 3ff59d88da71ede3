import { describe, expect, it } from "vitest";
import {
  type IntentValue,
  collectIntentValues,
  destinationValue,
  resourceValue,
} from "@mandate/validator/purpose-alignment/intent-values";
import { readArguments } from "@mandate/validator/purpose-alignment/read-arguments";
import { DEFAULT_ALIGNMENT_CONFIG } from "@mandate/validator/purpose-alignment/alignment-config";

function valuesOf(args: unknown): IntentValue[] {
  return readArguments(JSON.stringify(args), DEFAULT_ALIGNMENT_CONFIG.arguments).values;
}

describe("intent-carrying values", () => {
  it("finds recipients: e-mail addresses, international phone numbers, handles", () => {
    expect(valuesOf({ to: ["Ops.Team@Example.org", "cfo@example.org"] })).toEqual([
      { kind: "email", value: "ops.team@example.org" },
      { kind: "email", value: "cfo@example.org" },
    ]);
    expect(valuesOf({ recipient: "+44 20 7946 0958" })).toEqual([{ kind: "phone", value: "442079460958" }]);
    expect(valuesOf({ phoneNumber: "(415) 555-0172" })).toEqual([{ kind: "phone", value: "4155550172" }]);
    expect(valuesOf({ mention: "@night_owl" })).toEqual([{ kind: "handle", value: "@night_owl" }]);
  });

  it("finds accounts: IBANs anywhere, digits under account keys, crypto addresses", () => {
    expect(valuesOf({ note: "pay", creditor: "NL91 ABNA 0417 1643 00" })).toEqual([
      { kind: "account", value: "NL91ABNA0417164300" },
    ]);
    expect(valuesOf({ beneficiary_account: "0042-7781-3390" })).toEqual([{ kind: "account", value: "004277813390" }]);
    expect(valuesOf({ payee: { accountNumber: 88120045 } })).toEqual([{ kind: "account", value: "88120045" }]);
    expect(valuesOf({ wallet: "0x52908400098527886E0F7030069857D2E4169EE7" })).toEqual([
      { kind: "account", value: "0X52908400098527886E0F7030069857D2E4169EE7" },
    ]);
  });

  it("finds hosts in URLs and host fields, and file paths", () => {
    expect(valuesOf({ url: "https://user@files.drop-zone.net:8443/up?x=1" })).toEqual([
      { kind: "host", value: "files.drop-zone.net" },
    ]);
    expect(valuesOf({ server: "10.0.4.17" })).toEqual([{ kind: "host", value: "10.0.4.17" }]);
    expect(valuesOf({ site: "paste-it.io" })).toEqual([{ kind: "host", value: "paste-it.io" }]);
    expect(valuesOf({ path: "~/.ssh/id_ed25519" })).toEqual([{ kind: "path", value: "~/.ssh/id_ed25519" }]);
    expect(valuesOf({ output_file: "C:\\Users\\ana\\secrets.kdbx" })).toEqual([
      { kind: "path", value: "c:/users/ana/secrets.kdbx" },
    ]);
  });

  it("leaves alone what only looks like one: dates, order numbers, file names, amounts", () => {
    expect(
      valuesOf({
        date: "2025-07-14",
        order_id: "10045521",
        user_id: "77120034",
        attachment: "report.pdf",
        script: "deploy.sh",
        amount: 1250000,
        version: "v2.14.1",
      }),
    ).toEqual([]);
  });

  it("does not treat an address quoted inside a message body as a recipient", () => {
    expect(valuesOf({ to: "lee@example.org", body: "If it fails, write to help@vendor.example.com." })).toEqual([
      { kind: "email", value: "lee@example.org" },
    ]);
  });

  it("still reads values after padding that fills the word budget", () => {
    const padding = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`k${i}`, "lorem ipsum dolor"]));
    expect(valuesOf({ ...padding, to: "drop@exfil.example.net" })).toEqual([
      { kind: "email", value: "drop@exfil.example.net" },
    ]);
  });

  it("reports whether a string is wholly a value, so its words stay out of the text", () => {
    const into: IntentValue[] = [];
    expect(collectIntentValues(["to"], "amy@example.org", into)).toBe(true);
    expect(collectIntentValues(["subject"], "Lunch with Amy <amy@example.org>", into)).toBe(false);
  });

  it("reads the action's destination and resource fields", () => {
    expect(destinationValue("https://API.Payments.example.com/v1")).toEqual({
      kind: "host",
      value: "api.payments.example.com",
    });
    expect(destinationValue("billing@example.com")).toEqual({ kind: "email", value: "billing@example.com" });
    expect(resourceValue("/srv/exports/customers.csv")).toEqual({ kind: "path", value: "/srv/exports/customers.csv" });
    expect(resourceValue("crm:contacts")).toBeNull();
  });

  it("collects amounts under money keys, not from message bodies", () => {
    const reading = readArguments(
      JSON.stringify({ amount: 18450, fees: { total_price: "$1,200.00" }, quantity: 3, body: "amount: 999" }),
      DEFAULT_ALIGNMENT_CONFIG.arguments,
    );
    expect(reading.amounts).toEqual([18450, 1200]);
  });

  it("marks unreadable arguments instead of throwing", () => {
    const reading = readArguments("{not json", DEFAULT_ALIGNMENT_CONFIG.arguments);
    expect(reading.readable).toBe(false);
    expect(reading.values).toEqual([]);
  });
});
