/**
 * The local alert channel, always on: the alert printed to the console and written to
 * `alert.md` in the run folder. It is the embedded default's only channel, and in Actions
 * the record that outlives a channel being down.
 */
import { mkdir, writeFile } from "node:fs/promises";
import type { Alert, AlertNotifier } from "./alert.ts";
import { alertMarkdown } from "./markdown.ts";
import { runFolder } from "../run-folder.ts";

/** `alert.md` for an alert: its title as the heading, then the Markdown body; pure. */
export function renderAlertFile(alert: Alert): string {
  return `# ${alert.title}\n\n${alertMarkdown(alert)}`;
}

/** Console + `alert.md` in the run folder: the embedded default's alert channel. */
export function createFileNotifier(log: (m: string) => void): AlertNotifier {
  return {
    async notify(alert, runDir) {
      await mkdir(runDir, { recursive: true });
      const path = runFolder(runDir).alert;
      await writeFile(path, renderAlertFile(alert));
      const body = alertMarkdown(alert).trimEnd().split("\n");
      log(`ALERT [${alert.severity}] ${alert.title}\n${body.map((l) => `  | ${l}`).join("\n")}`);
      return [{ channel: "file", reason: alert.title, location: path }];
    },
  };
}
