import { describe, expect, it } from "vitest";
import { columnSkipper, columnWriter, readVarUInt, RowBinaryBuffer } from "@mandate/common/row-binary";

/** The bytes one column writer produces for one value, as hex. */
function bytesOf(type: string, value: unknown): string {
  const out = new RowBinaryBuffer();
  columnWriter(type)(out, value);
  return out.bytes().toString("hex");
}

describe("RowBinary column writers", () => {
  it("write strings as a LEB128 length and UTF-8 bytes, ASCII or not, short or long", () => {
    expect(bytesOf("String", "")).toBe("00");
    expect(bytesOf("String", "ab")).toBe("026162");
    expect(bytesOf("LowCardinality(String)", "ab")).toBe("026162");
    expect(bytesOf("String", "é")).toBe("02c3a9");
    expect(bytesOf("String", "a€")).toBe("0461e282ac");
    const long = "x".repeat(200);
    expect(bytesOf("String", long)).toBe(`c801${"78".repeat(200)}`);
    const longUnicode = "é".repeat(70); // 140 bytes: past the one-byte length
    expect(bytesOf("String", longUnicode)).toBe(`8c01${"c3a9".repeat(70)}`);
  });

  it("write numbers little-endian, 64-bit integers from numbers or decimal strings", () => {
    expect(bytesOf("UInt8", 1)).toBe("01");
    expect(bytesOf("UInt32", 258)).toBe("02010000");
    expect(bytesOf("UInt64", "300")).toBe("2c01000000000000");
    expect(bytesOf("Int64", -1)).toBe("ffffffffffffffff");
    expect(bytesOf("UInt64", "18446744073709551615")).toBe("ffffffffffffffff");
    expect(bytesOf("Float64", 0.5)).toBe("000000000000e03f");
  });

  it("write Nullable behind a flag byte and arrays behind their count", () => {
    expect(bytesOf("Nullable(Int64)", null)).toBe("01");
    expect(bytesOf("Nullable(Int64)", 3)).toBe("000300000000000000");
    expect(bytesOf("Array(String)", [])).toBe("00");
    expect(bytesOf("Array(String)", ["x", "yz"])).toBe("02017802797a");
  });

  it("write trail timestamps as seconds or milliseconds, whichever the column keeps", () => {
    expect(bytesOf("DateTime('UTC')", "1970-01-01 00:00:01")).toBe("01000000");
    expect(bytesOf("DateTime64(3, 'UTC')", "1970-01-01 00:00:01.500")).toBe("dc05000000000000");
    expect(bytesOf("DateTime64(3, 'UTC')", "2026-11-22 08:05:03.042")).toBe(
      Buffer.from(new BigInt64Array([BigInt(Date.UTC(2026, 10, 22, 8, 5, 3, 42))]).buffer).toString("hex"),
    );
    expect(() => bytesOf("DateTime('UTC')", "yesterday")).toThrow(/not a trail timestamp/);
  });

  it("write timestamps given as epoch milliseconds, as the sink's rows give them, like their text", () => {
    expect(bytesOf("DateTime('UTC')", 1_999)).toBe(bytesOf("DateTime('UTC')", "1970-01-01 00:00:01"));
    expect(bytesOf("DateTime", 1_500)).toBe("01000000");
    expect(bytesOf("DateTime64(3, 'UTC')", 1_500)).toBe(bytesOf("DateTime64(3, 'UTC')", "1970-01-01 00:00:01.500"));
  });

  it("refuses a column type the trail does not use", () => {
    expect(() => columnWriter("Decimal(10, 2)")).toThrow(/no column of type Decimal/);
    expect(() => columnWriter("DateTime64(6, 'UTC')")).toThrow(/no column of type DateTime64\(6/);
  });

  it("grows its buffer as rows arrive", () => {
    const out = new RowBinaryBuffer();
    const write = columnWriter("String");
    for (let i = 0; i < 10_000; i += 1) write(out, "0123456789");
    expect(out.length).toBe(110_000);
    expect(out.bytes().subarray(109_990).toString()).toBe("0123456789");
  });
});

describe("RowBinary column skippers", () => {
  const values: Array<[string, unknown]> = [
    ["String", "a€".repeat(100)],
    ["LowCardinality(String)", "approved"],
    ["UInt8", 1],
    ["UInt32", 7],
    ["UInt64", "9007199254740993"],
    ["Float64", 0.25],
    ["DateTime", 1_500],
    ["DateTime64(3, 'UTC')", 1_500],
    ["Nullable(UInt32)", null],
    ["Nullable(UInt32)", 3],
    ["Array(String)", ["x", "é".repeat(90)]],
    ["Array(LowCardinality(String))", []],
  ];

  it("find where each value a writer wrote ends, and answer -1 for one cut off", () => {
    for (const [type, value] of values) {
      const out = new RowBinaryBuffer();
      out.byte(0xee); // what came before the value
      columnWriter(type)(out, value);
      out.byte(0xff); // what comes after it
      const bytes = out.bytes();
      const skip = columnSkipper(type);
      expect([type, value, skip(bytes, 1)]).toEqual([type, value, bytes.length - 1]);
      for (let cut = 1; cut < bytes.length - 1; cut += 1) {
        expect([type, cut, skip(bytes.subarray(0, cut), 1)]).toEqual([type, cut, -1]);
      }
    }
  });

  it("read LEB128 lengths, and -1 for one cut off", () => {
    const end = { at: 0 };
    expect(readVarUInt(Buffer.from("00c80105", "hex"), 1, end)).toBe(200);
    expect(end.at).toBe(3);
    expect(readVarUInt(Buffer.from("c8", "hex"), 0, end)).toBe(-1);
    expect(() => columnSkipper("Decimal(10, 2)")).toThrow(/reads no column of type Decimal/);
  });
});
