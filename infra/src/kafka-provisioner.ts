import fs from "node:fs";
import path from "node:path";
import { infraConfig } from "./infra-config.js";
import { timedStep } from "./progress.js";
import { requireCommand } from "./prerequisites.js";
import { runCommand } from "./run-command.js";

/**
 * Resolves the Kafka broker's jars from Maven Central with `mvn` into the cache
 * (`<cache>/kafka-<version>/libs`). A marker file is written last, so an interrupted
 * download is redone instead of trusted.
 */
export async function provisionKafka(): Promise<{ classpath: string; home: string }> {
  const { MANDATE_CACHE_DIR, MANDATE_KAFKA_VERSION: version } = infraConfig();
  const home = path.join(MANDATE_CACHE_DIR, `kafka-${version}`);
  const libs = path.join(home, "libs");
  const marker = path.join(home, ".complete");
  requireCommand("java");
  if (!fs.existsSync(marker)) {
    requireCommand("mvn");
    await timedStep(`resolving Kafka ${version} broker jars from Maven Central into ${libs}`, async () => {
      fs.mkdirSync(home, { recursive: true });
      fs.writeFileSync(path.join(home, "pom.xml"), brokerPom(version));
      await runCommand(
        "mvn",
        ["-B", "-q", "dependency:copy-dependencies", `-DoutputDirectory=${libs}`, "-DincludeScope=runtime"],
        { cwd: home },
      );
      fs.writeFileSync(marker, new Date().toISOString());
    });
  }
  return { classpath: `${libs}/*`, home };
}

// The broker logs through slf4j; reload4j is the binding Kafka 3.x itself ships with.
function brokerPom(version: string): string {
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.mandate.infra</groupId><artifactId>kafka-broker-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>${version}</version></dependency>
    <dependency><groupId>org.slf4j</groupId><artifactId>slf4j-reload4j</artifactId><version>1.7.36</version></dependency>
  </dependencies>
</project>
`;
}
