/**
 * The git side of the GitHub stand-in: blobs, trees, commits and refs kept in memory,
 * with the rules GitHub's git data API enforces (unknown objects, existing refs,
 * fast-forward checks) and a real three-way merge for merging pull requests. Trees are
 * kept flat (path -> blob), which is all the API's callers can observe.
 */
import { createHash } from "node:crypto";

/** A commit as stored. */
export interface StoredCommit {
  sha: string;
  tree: string;
  parents: string[];
  message: string;
  date: string;
}

/** A git-level refusal: the HTTP layer turns it into GitHub's status and message. */
export class GitRefusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const sha1 = (data: string | Buffer) => createHash("sha1").update(data).digest("hex");

/** Blobs, trees, commits and refs of one repository. */
export class GitStore {
  readonly blobs = new Map<string, Buffer>();
  readonly trees = new Map<string, Map<string, string>>();
  readonly commits = new Map<string, StoredCommit>();
  /** Full ref name (`refs/heads/main`) -> commit sha. */
  readonly refs = new Map<string, string>();

  constructor() {
    this.putTree(new Map());
  }

  /** Stores a blob under its real git object id. */
  putBlob(content: Buffer): string {
    const sha = sha1(Buffer.concat([Buffer.from(`blob ${content.length}\0`), content]));
    this.blobs.set(sha, content);
    return sha;
  }

  /** Stores a flat tree; the same entries always give the same sha, as in git. */
  putTree(entries: Map<string, string>): string {
    const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const sha = sha1(`tree\0${sorted.map(([p, s]) => `${p}\0${s}`).join("\n")}`);
    this.trees.set(sha, new Map(sorted));
    return sha;
  }

  /** A new tree: `base` plus `changes` (a null sha deletes the path), as POST git/trees. */
  buildTree(base: string | undefined, changes: { path: string; sha: string | null }[]): string {
    const start = base === undefined ? new Map<string, string>() : this.trees.get(base);
    if (!start) throw new GitRefusal(422, "Invalid tree info");
    const entries = new Map(start);
    for (const change of changes) {
      if (change.sha === null) {
        entries.delete(change.path);
        continue;
      }
      if (!this.blobs.has(change.sha)) throw new GitRefusal(422, "Invalid tree info");
      entries.set(change.path, change.sha);
    }
    return this.putTree(entries);
  }

  /** A new commit; refuses unknown trees and parents as GitHub does. */
  putCommit(tree: string, parents: string[], message: string): StoredCommit {
    if (!this.trees.has(tree)) throw new GitRefusal(422, "Tree SHA does not exist");
    for (const p of parents)
      if (!this.commits.has(p))
        throw new GitRefusal(422, "Parent SHA does not exist or is not a commit object");
    const date = new Date().toISOString();
    // The counter keeps two identical commits in the same millisecond apart, as real
    // commits differ by their timestamps.
    const sha = sha1(JSON.stringify({ tree, parents, message, date, n: this.commits.size }));
    const commit = { sha, tree, parents, message, date };
    this.commits.set(sha, commit);
    return commit;
  }

  /** Commits `files` on top of `branch` (created when absent) and moves the branch. */
  commitFiles(
    branch: string,
    files: Record<string, string | Buffer | null>,
    message: string,
  ): StoredCommit {
    const head = this.refs.get(`refs/heads/${branch}`);
    const base = head ? this.commits.get(head)!.tree : undefined;
    const changes = Object.entries(files).map(([path, content]) => ({
      path,
      sha: content === null ? null : this.putBlob(Buffer.from(content)),
    }));
    const commit = this.putCommit(this.buildTree(base, changes), head ? [head] : [], message);
    this.refs.set(`refs/heads/${branch}`, commit.sha);
    return commit;
  }

  /** Resolves a branch, tag or commit sha to a commit, as `?ref=` does. */
  resolve(ref: string): StoredCommit | undefined {
    const sha =
      this.refs.get(`refs/heads/${ref}`) ??
      this.refs.get(`refs/tags/${ref}`) ??
      this.refs.get(ref) ??
      ref;
    return this.commits.get(sha);
  }

  /** A file's bytes at a commit, or undefined. */
  fileAt(commit: StoredCommit, path: string): { sha: string; content: Buffer } | undefined {
    const sha = this.trees.get(commit.tree)?.get(path);
    return sha === undefined ? undefined : { sha, content: this.blobs.get(sha)! };
  }

  /** Creates a ref: 422 when it exists or names no object. */
  createRef(ref: string, sha: string): void {
    if (!/^refs\/[^/]+\/.+/.test(ref))
      throw new GitRefusal(
        422,
        "Reference name must start with 'refs/' and have at least two slashes.",
      );
    if (this.refs.has(ref)) throw new GitRefusal(422, "Reference already exists");
    if (!this.commits.has(sha)) throw new GitRefusal(422, "Object does not exist");
    this.refs.set(ref, sha);
  }

  /** Moves a ref: 422 when absent, or when not a fast-forward without `force`. */
  updateRef(ref: string, sha: string, force: boolean): void {
    const current = this.refs.get(ref);
    if (current === undefined) throw new GitRefusal(422, "Reference does not exist");
    if (!this.commits.has(sha)) throw new GitRefusal(422, "Object does not exist");
    if (!force && !this.ancestors(sha).has(current))
      throw new GitRefusal(422, "Update is not a fast forward");
    this.refs.set(ref, sha);
  }

  /** Every commit reachable from `sha`, itself included. */
  ancestors(sha: string): Set<string> {
    const seen = new Set<string>();
    const queue = [sha];
    while (queue.length) {
      const next = queue.shift()!;
      if (seen.has(next)) continue;
      seen.add(next);
      queue.push(...(this.commits.get(next)?.parents ?? []));
    }
    return seen;
  }

  /**
   * Merges `head` into `base` with a three-way merge of their trees; returns the merged
   * tree, or throws 405 on a conflict (GitHub's "not mergeable").
   */
  mergeTrees(base: string, head: string): string {
    const fromHead = this.ancestors(head);
    const queue = [base];
    let mergeBase: string | undefined;
    const seen = new Set<string>();
    while (queue.length && !mergeBase) {
      const next = queue.shift()!;
      if (seen.has(next)) continue;
      seen.add(next);
      if (fromHead.has(next)) mergeBase = next;
      else queue.push(...(this.commits.get(next)?.parents ?? []));
    }
    const treeOf = (sha: string | undefined) =>
      sha ? this.trees.get(this.commits.get(sha)!.tree)! : new Map<string, string>();
    const [ancestor, ours, theirs] = [treeOf(mergeBase), treeOf(base), treeOf(head)];
    const merged = new Map<string, string>();
    for (const path of new Set([...ancestor.keys(), ...ours.keys(), ...theirs.keys()])) {
      const [a, o, t] = [ancestor.get(path), ours.get(path), theirs.get(path)];
      const pick = o === t ? o : o === a ? t : t === a ? o : "conflict";
      if (pick === "conflict") throw new GitRefusal(405, "Pull Request is not mergeable");
      if (pick !== undefined) merged.set(path, pick);
    }
    return this.putTree(merged);
  }
}
