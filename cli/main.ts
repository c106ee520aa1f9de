/**
 * What every command shares: one flag parser (node:util `parseArgs`, strict) with `--help`,
 * and `runIfMain`, which runs `main` only when the file is the process's entry (tests
 * import the parsers). Exit codes as the ecosystem has them: `--help` prints the usage on
 * stdout and exits 0 before anything heavy loads; a usage error prints what is wrong and
 * the usage on stderr and exits 2; any other error is one line on stderr and exit 1.
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A flag that is unknown, missing, or has a value the command cannot use. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** `--help` or `-h`: the usage goes to stdout, the command does nothing else. */
export class HelpRequested extends Error {
  override name = "HelpRequested";
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * The flags of `argv` by `options`; `--help`/`-h` throws HelpRequested, anything else it
 * cannot take throws UsageError naming the flag, the known ones and the usage.
 */
export function parseFlags<T extends Options>(argv: string[], options: T, usage: string) {
  const withHelp = { ...options, help: { type: "boolean", short: "h" } } as const;
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: withHelp as Options,
      strict: true,
      allowPositionals: false,
    }) as { values: Record<string, string | boolean | undefined> });
  } catch (err) {
    const e = err as Error & { code?: string };
    const known = Object.keys(options).map((k) => `--${k}`);
    const unknown = e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && e.message.match(/'([^']+)'/)?.[1];
    throw new UsageError(
      unknown
        ? `unknown option "${unknown}" (known: ${known.join(", ")})\n${usage}`
        : `${e.message.split(". ")[0]}\n${usage}`,
    );
  }
  if (values.help) throw new HelpRequested(usage);
  return values as { [K in keyof T]?: T[K]["type"] extends "boolean" ? boolean : string };
}

/** Runs `main` when `moduleUrl` (the caller's `import.meta.url`) is the entry script. */
export function runIfMain(
  moduleUrl: string,
  main: () => Promise<number | void>,
  prefix = "error",
): void {
  const entry = process.argv[1];
  if (!entry || moduleUrl !== pathToFileURL(resolve(entry)).href) return;
  // A main that throws before its first await (a parser) is handled the same way.
  Promise.resolve()
    .then(main)
    .then(
      (code) => {
        if (typeof code === "number") process.exitCode = code;
      },
      (err: Error) => {
        if (err instanceof HelpRequested) {
          console.log(err.message);
          process.exitCode = 0;
        } else if (err instanceof UsageError) {
          console.error(`${prefix}: ${err.message}`);
          process.exitCode = 2;
        } else {
          console.error(`${prefix}: ${err.message}`);
          process.exitCode = 1;
        }
      },
    );
}
