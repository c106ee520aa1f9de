/** Bounded concurrency for IO-bound loops over a list (image loads, decodes). */

/** Runs `work(i)` for i = 0..count-1 with at most `concurrency` calls in flight. */
export async function runPool(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, count)) }, worker));
}

/** `runPool` over a list, collecting each item's result in order. */
export async function mapPool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  await runPool(items.length, concurrency, async (i) => {
    out[i] = await work(items[i]!);
  });
  return out;
}
