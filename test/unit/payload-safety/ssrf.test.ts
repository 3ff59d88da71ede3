import { describe, expect, it } from "vitest";
import { assessPayload, type PayloadAssessment, type PayloadContext } from "@mandate/validator/payload-safety/index";

const fetchTool: PayloadContext = {
  destination: "api.partner.example",
  destinationInScope: true,
  dataClasses: [],
  tool: "http_request",
  operation: "get",
};

function assess(args: unknown, ctx: Partial<PayloadContext> = {}): PayloadAssessment {
  return assessPayload(JSON.stringify(args), { ...fetchTool, ...ctx });
}

function codes(assessment: PayloadAssessment): string[] {
  return assessment.findings.map((f) => `${f.code}:${f.severity}`);
}

describe("SSRF detector", () => {
  it.each([
    ["AWS metadata", "http://169.254.169.254/latest/meta-data/iam/security-credentials/"],
    ["GCP metadata host", "http://metadata.google.internal/computeMetadata/v1/"],
    ["AWS IPv6 metadata", "http://[fd00:ec2::254]/latest/meta-data/"],
    ["ECS task metadata", "http://169.254.170.2/v2/credentials"],
    ["metadata as a mapped IPv6", "http://[::ffff:a9fe:a9fe]/"],
  ])("flags %s as critical", (_, url) => {
    expect(codes(assess({ url }))).toContain("payload.ssrf.metadata:critical");
  });

  it.each([
    ["loopback", "http://127.0.0.1:8080/admin", "loopback"],
    ["localhost", "http://localhost/actuator/env", "loopback"],
    ["IPv6 loopback", "http://[::1]:9000/", "loopback"],
    ["10/8", "http://10.0.0.5/internal", "private_network"],
    ["172.16/12", "https://172.16.3.4/", "private_network"],
    ["192.168/16", "http://192.168.1.1/login", "private_network"],
    ["IPv6 unique local", "http://[fd12:3456::1]/", "private_network"],
    ["link-local", "http://169.254.10.10/", "link_local"],
    ["IPv6 link-local", "http://[fe80::1]/", "link_local"],
  ])("rejects fetching %s", (_, url, addressClass) => {
    expect(codes(assess({ url }))).toEqual([`payload.ssrf.${addressClass}:critical`]);
  });

  it("flags an internal address named in prose as suspicious only", () => {
    const text = "The dashboard at http://10.0.0.5:3000/ shows the backlog.";
    expect(codes(assess({ text }))).toEqual(["payload.ssrf.private_network:suspicious"]);
  });

  it.each([
    ["bare 0", "http://0/admin", "loopback"],
    ["0.0.0.0", "http://0.0.0.0:8080/", "loopback"],
    ["a bare metadata name", "http://metadata/computeMetadata/v1/", "metadata"],
    ["instance-data", "http://instance-data/latest/meta-data/", "metadata"],
    ["a hex metadata address", "http://0xa9fea9fe/latest/", "metadata"],
    ["a decimal metadata address", "http://2852039166/latest/", "metadata"],
    ["a mapped IPv6 metadata address", "http://[::ffff:169.254.169.254]/", "metadata"],
    ["cluster DNS", "http://redis.payments.svc.cluster.local:6379/", "internal_name"],
    ["a Consul name", "http://vault.service.consul:8200/v1/secret", "internal_name"],
    ["a .internal name", "http://billing.internal/api", "internal_name"],
  ])("rejects %s", (_, url, addressClass) => {
    expect(codes(assess({ url }))).toContain(`payload.ssrf.${addressClass}:critical`);
  });

  it("reads hosts written with invisible characters as disguised", () => {
    expect(codes(assess({ url: "http://169.254.169\u200b.254/" }))).toContain("payload.ssrf.metadata:critical");
  });

  it("reads the action's destination and resource too", () => {
    const assessment = assessPayload("{}", {
      ...fetchTool,
      destination: "169.254.169.254",
      destinationInScope: false,
      resource: "http://metadata.google.internal/computeMetadata/v1/",
    });
    expect(assessment.findings.map((f) => `${f.path}:${f.code}:${f.severity}`)).toEqual([
      "destination:payload.ssrf.metadata:critical",
      "resource:payload.ssrf.metadata:critical",
    ]);
  });

  it("reads bare cluster names whatever their key", () => {
    expect(codes(assess({ upstream: "orders.shop.svc.cluster.local" }))).toEqual([
      "payload.ssrf.internal_name:critical",
    ]);
    expect(codes(assess({ cache_node: "redis.payments.svc" }))).toEqual(["payload.ssrf.internal_name:critical"]);
  });

  it.each([
    ["decimal", "http://2130706433/"],
    ["hex", "http://0x7f000001/"],
    ["octal", "http://0177.0.0.1/"],
    ["short form", "http://127.1/"],
    ["IPv4-mapped IPv6", "http://[::ffff:127.0.0.1]/"],
    ["percent-encoded host", "http://%31%32%37.0.0.1/"],
    ["userinfo trick", "https://trusted.example.com@127.0.0.1/"],
    ["wildcard DNS", "http://127.0.0.1.nip.io/"],
    ["loopback alias", "http://app.localtest.me/"],
    ["full-width digits", "http://１２７.０.０.１/"],
  ])("flags a disguised loopback address (%s) as critical", (_, url) => {
    expect(codes(assess({ url }))).toContain("payload.ssrf.loopback:critical");
  });

  it("reads a URL hidden behind URL encoding as disguised", () => {
    expect(codes(assess({ next: "http%3A%2F%2F10.0.0.5%2Fadmin" }))).toContain("payload.ssrf.private_network:critical");
  });

  it("reads bare hosts, and loose numeric forms under host-like keys", () => {
    expect(codes(assess({ host: "10.1.2.3" }))).toEqual(["payload.ssrf.private_network:critical"]);
    expect(codes(assess({ target: "localhost:6379" }))).toEqual(["payload.ssrf.loopback:critical"]);
    expect(codes(assess({ host: "0" }))).toEqual(["payload.ssrf.loopback:critical"]);
    expect(codes(assess({ host: "2130706433" }))).toEqual(["payload.ssrf.loopback:critical"]);
    expect(codes(assess({ ip: 2130706433 }))).toEqual(["payload.ssrf.loopback:critical"]);
    expect(codes(assess({ address: "::ffff:169.254.169.254" }))).toEqual(["payload.ssrf.metadata:critical"]);
  });

  it("flags smuggling schemes", () => {
    expect(codes(assess({ url: "gopher://mail.example:25/_HELO" }))).toEqual([
      "payload.ssrf.dangerous_scheme:suspicious",
    ]);
  });

  it.each([
    ["a public API", { url: "https://api.stripe.com/v1/charges" }, {}],
    ["a public IP", { url: "http://8.8.8.8/dns-query" }, {}],
    ["a version number", { version: "10.2.0.1" }, {}],
    ["an order number", { order_id: "2130706433" }, {}],
    ["a zip code under a host-like key", { zip: "10001", ship_to_addr: "42" }, {}],
    ["a UUID", { id: "550e8400-e29b-41d4-a716-446655440000" }, {}],
    ["a git SHA", { sha: "9fceb02d0ae598e95dc970b74767f19372d61af8" }, {}],
    ["a time and a MAC address", { at: "12:30", mac: "00:1a:2b:3c:4d:5e" }, {}],
    ["a public host name", { host: "api.example.com" }, {}],
    [
      "the agent's own in-scope internal destination",
      { url: "http://10.0.0.5/api/orders" },
      { destination: "10.0.0.5", destinationInScope: true },
    ],
    ["prose that mentions an address", { text: "The server 10.0.0.5 is down again." }, {}],
    ["the word metadata", { section: "metadata", include: "instance-data" }, {}],
    ["a count of zero", { retries: "0", page: 0 }, {}],
    [
      "prose with internal-sounding words",
      { note: "Share the internal memo with the corp team on the local list." },
      {},
    ],
    ["a public docs host", { url: "https://docs.consul.io/commands" }, {}],
  ])("leaves %s clean", (_, args, ctx: Partial<PayloadContext>) => {
    expect(assess(args, ctx).findings).toEqual([]);
  });
});

describe("SSRF detector: hosts named as internal", () => {
  const browse: Partial<PayloadContext> = { destination: "browser.acme.example", destinationInScope: false };

  it.each([
    ["an internal subdomain", "http://jenkins.internal.acme.example/script"],
    ["an mDNS name", "http://printer.local/admin"],
    ["a corp zone", "https://wiki.corp.acme.example/spaces/SEC"],
  ])("rejects fetching %s", (_, url) => {
    expect(codes(assess({ url }, browse))).toEqual(["payload.ssrf.internal_name:critical"]);
  });

  it("leaves the registered internal destination alone", () => {
    const ctx = { destination: "checkout.internal.acme.example", destinationInScope: true };
    expect(assess({ url: "http://checkout.internal.acme.example/healthz" }, ctx).findings).toEqual([]);
  });

  it.each([
    ["a public host whose name merely contains the word", "https://internal-tools-review.example.com/post"],
    ["an internal URL written about in prose", "Our wiki at https://wiki.corp.acme.example explains the setup."],
    ["a public host", "https://www.example.org/pricing"],
  ])("leaves %s clean", (_, url) => {
    expect(assess({ url }, browse).findings).toEqual([]);
  });
});
