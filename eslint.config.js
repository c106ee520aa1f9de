// ESLint: the JavaScript and TypeScript recommended rules over every source folder.
// Formatting is Prettier's job (`npm run format:check`), so no style rules here. The
// layering rules (which folder may import which) are a test: test/unit/layers.test.ts.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["node_modules/", ".mlops/", "coverage/", "test/fixtures/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none" },
      ],
    },
  },
  {
    // Tests build and poke at untyped wire JSON (request bodies, broken manifests), and
    // their inline snapshots hold the zero-width spaces the renderers insert on purpose.
    files: ["test/**/*.ts"],
    rules: {
      "@typescript-eslint/no-explicit-any": "off",
      "no-irregular-whitespace": ["error", { skipStrings: true, skipTemplates: true }],
    },
  },
);
