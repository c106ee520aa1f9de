import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    pool: "forks",
    // s3rver's paged ListObjectsV2 uses a hash that Node 20's OpenSSL 3 only offers
    // with the legacy provider.
    execArgv: ["--openssl-legacy-provider"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Training tests load libtensorflow; two at once is all 2 cores take.
    maxWorkers: 2,
  },
});
