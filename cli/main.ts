/**
 * What every command shares: run `main` only when the file is the process's entry (tests
 * import the parsers), set the exit code it returns, and turn an error into one line on
 * stderr and exit code 1.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** Runs `main` when `moduleUrl` (the caller's `import.meta.url`) is the entry script. */
export function runIfMain(
  moduleUrl: string,
  main: () => Promise<number | void>,
  prefix = "error",
): void {
  const entry = process.argv[1];
  if (!entry || moduleUrl !== pathToFileURL(resolve(entry)).href) return;
  main().then(
    (code) => {
      if (typeof code === "number") process.exitCode = code;
    },
    (err: Error) => {
      console.error(`${prefix}: ${err.message}`);
      process.exitCode = 1;
    },
  );
}
