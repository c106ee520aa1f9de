/**
 * Reading registry files from GitHub at an exact commit, for the promote workflow when it
 * runs without a checkout (or to read what a merge commit holds, not the working tree).
 */
import { duplicateKeys, jsonPathOf } from "../json-keys.ts";
import { ProductionPointerSchema, type ProductionPointer } from "../registry.ts";
import { isGitHubError, type GitHubClient } from "./client.ts";

/** A file's text at `ref` (branch, tag or sha), or undefined when it is absent there. */
export async function readRepositoryFile(
  client: GitHubClient,
  path: string,
  ref: string,
): Promise<string | undefined> {
  const { octokit, owner, repo } = client;
  try {
    const { data } = await octokit.rest.repos.getContent({ owner, repo, path, ref });
    if (Array.isArray(data) || data.type !== "file" || !("content" in data)) {
      throw new Error(
        `${path} at ${ref} in ${owner}/${repo} is a ${Array.isArray(data) ? "directory" : data.type}, not a file`,
      );
    }
    return Buffer.from(data.content, "base64").toString("utf8");
  } catch (err) {
    if (isGitHubError(err, 404)) return undefined;
    throw err;
  }
}

/**
 * The production pointer at `ref`, or undefined when the registry has none yet. A pointer
 * that repeats a key or does not match its schema is an error naming the file and the commit.
 */
export async function readProductionPointer(
  client: GitHubClient,
  path: string,
  ref: string,
): Promise<ProductionPointer | undefined> {
  const text = await readRepositoryFile(client, path, ref);
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new Error(`${path} at ${ref} is not valid JSON (fix: revert the commit that broke it)`, {
      cause,
    });
  }
  const repeated = duplicateKeys(text)[0];
  if (repeated)
    throw new Error(
      `${path} at ${ref}: ${jsonPathOf(repeated.path)}: repeats the key "${repeated.key}" (line ${repeated.line}; first at line ${repeated.firstLine}): JSON keeps only the last value, so a reviewer reading the first one sees something else than the promote step serves (fix: keep one "${repeated.key}" in that object and delete the other)`,
    );
  const parsed = ProductionPointerSchema.safeParse(json);
  if (!parsed.success) {
    throw new Error(
      `${path} at ${ref} does not match the production pointer schema: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`,
    );
  }
  return parsed.data;
}
