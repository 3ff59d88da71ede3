import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", ".cache/", ".data/", "coverage/", "**/dist/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Read the environment only in a service's config module." },
      ],
    },
  },
  {
    files: ["**/*-config.ts", "**/main.ts", "infra/src/**", "test/**", "bin/**", "**/*.mjs"],
    rules: { "no-restricted-properties": "off" },
  },
);
