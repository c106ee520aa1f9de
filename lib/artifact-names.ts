/**
 * The names of a model artifact's files: plain, unique base names, since they become keys
 * beside the serving key and paths in download folders. The registry's schema and the
 * promote step both hold artifacts to this.
 */

/**
 * Why an artifact file name is not a plain file name, or undefined when it is. Names become
 * keys beside the serving key and paths in download folders, so a folder part or `..`
 * would put a file somewhere else than the one reviewed. Pure.
 */
export function artifactFileNameProblem(name: string): string | undefined {
  if (name === "") return "is empty";
  if (name.includes("/") || name.includes("\\")) return "has a folder part ('/' or '\\')";
  if (name === "." || name === "..") return `is "${name}"`;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this rejects
  if (/[\u0000-\u001f\u007f]/.test(name)) return "contains control characters";
  return undefined;
}

/**
 * Every problem with an artifact's file names: each must be a plain file name, and no two
 * may share a base name (compared ignoring case, as some file systems do). Pure.
 */
export function artifactNameProblems(
  files: readonly { name: string }[],
): { index: number; name: string; problem: string }[] {
  const problems: { index: number; name: string; problem: string }[] = [];
  const seen = new Map<string, number>();
  files.forEach(({ name }, i) => {
    const problem = artifactFileNameProblem(name);
    if (problem) problems.push({ index: i, name, problem: `file ${i}'s name ${problem}` });
    const base = (name.split(/[\\/]/).pop() ?? name).toLowerCase();
    const first = seen.get(base);
    if (first === undefined) seen.set(base, i);
    else
      problems.push({
        index: i,
        name,
        problem: `file ${i} has the same base name as file ${first} (${JSON.stringify(files[first]!.name)})`,
      });
  });
  return problems;
}
