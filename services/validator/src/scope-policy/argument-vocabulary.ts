import { ConfigError } from "@mandate/contracts";
import { schemaToJsonWithResolvedTypes } from "./cedar-wasm.js";

export type ArgumentType = "Long" | "String" | "Bool";

/**
 * The argument names and types the schema's `Arguments` record declares: the only arguments
 * policies can read, so the only ones worth converting for Cedar.
 */
export function readArgumentVocabulary(schema: string): ReadonlyMap<string, ArgumentType> {
  const converted = schemaToJsonWithResolvedTypes(schema);
  if (converted.type === "failure") {
    throw new ConfigError(`Cedar schema does not parse: ${converted.errors.map((e) => e.message).join("; ")}`);
  }
  const declared = converted.json[""]?.commonTypes?.["Arguments"];
  if (!declared || !("attributes" in declared)) {
    throw new ConfigError("Cedar schema must declare `type Arguments = { … }` in the empty namespace");
  }
  const vocabulary = new Map<string, ArgumentType>();
  for (const [name, attribute] of Object.entries(declared.attributes)) {
    const type = "type" in attribute ? attribute.type : undefined;
    if (type !== "Long" && type !== "String" && type !== "Bool") {
      throw new ConfigError(`Cedar schema: argument \`${name}\` must be Long, String or Bool (got ${String(type)})`);
    }
    if (attribute.required !== false) {
      throw new ConfigError(
        `Cedar schema: argument \`${name}\` must be optional (\`${name}?\`), as a call may omit it`,
      );
    }
    vocabulary.set(name, type);
  }
  return vocabulary;
}
