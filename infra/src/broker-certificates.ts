import fs from "node:fs";
import path from "node:path";
import { requireCommand } from "./prerequisites.js";
import { runCommand } from "./run-command.js";

/** The PEM files of a local broker's TLS: a CA of its own, and the broker's certificate it signed. */
export interface BrokerCertificates {
  /** The CA certificate clients trust (`kafkaSecurity.tls.caFile`). */
  caFile: string;
  /** The broker's private key (PKCS#8) and certificate chain in one file: a Kafka `PEM` keystore. */
  keystoreFile: string;
  /** The subject the broker's certificate names: its principal (`User:<dn>`) where it presents it as a client. */
  brokerDistinguishedName: string;
}

const BROKER_DN = "CN=mandate-broker";

/**
 * Generates a CA and a certificate for 127.0.0.1 and localhost signed by it, into `dir` (once: a
 * restarted broker keeps its files). With `openssl`, which every machine that runs the launcher has.
 * The CA's key is deleted once it signed: nothing else is ever issued by it. NOTE: for a local broker
 * only; the keys are unencrypted files readable by this user.
 */
export async function brokerCertificates(dir: string): Promise<BrokerCertificates> {
  const certificates = {
    caFile: path.join(dir, "ca.pem"),
    keystoreFile: path.join(dir, "broker-keystore.pem"),
    brokerDistinguishedName: BROKER_DN,
  };
  if (fs.existsSync(certificates.keystoreFile)) return certificates;
  requireCommand("openssl");
  fs.mkdirSync(dir, { recursive: true });
  const file = (name: string) => path.join(dir, name);
  const days = "30";
  await runCommand("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    file("ca.key"),
    "-out",
    certificates.caFile,
    "-days",
    days,
    "-subj",
    "/CN=mandate-local-ca",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  await runCommand("openssl", [
    "req",
    "-new",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-nodes",
    "-keyout",
    file("broker.key"),
    "-out",
    file("broker.csr"),
    "-subj",
    `/${BROKER_DN}`,
  ]);
  // Server and client use: the broker presents it to clients, and to its own controller listener.
  fs.writeFileSync(
    file("broker.ext"),
    [
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "extendedKeyUsage=serverAuth,clientAuth",
      "keyUsage=critical,digitalSignature,keyAgreement",
      "",
    ].join("\n"),
  );
  await runCommand("openssl", [
    "x509",
    "-req",
    "-in",
    file("broker.csr"),
    "-CA",
    certificates.caFile,
    "-CAkey",
    file("ca.key"),
    "-CAcreateserial",
    "-out",
    file("broker.pem"),
    "-days",
    days,
    "-extfile",
    file("broker.ext"),
  ]);
  fs.writeFileSync(
    certificates.keystoreFile,
    [fs.readFileSync(file("broker.key"), "utf8"), fs.readFileSync(file("broker.pem"), "utf8")].join(""),
    { mode: 0o600 },
  );
  for (const name of ["ca.key", "ca.srl", "broker.key", "broker.csr", "broker.ext"]) {
    fs.rmSync(file(name), { force: true });
  }
  return certificates;
}
