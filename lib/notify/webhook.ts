/**
 * One JSON POST to a webhook, shared by Slack and Teams. The URL is the secret, so no
 * error thrown here contains it: messages name the service and the status only.
 */
import { HttpStatusError, parseRetryAfter } from "./retry.ts";

/** The part of `fetch` a webhook post needs; pass `globalThis.fetch` or a test double. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal },
) => Promise<Response>;

/** POSTs `payload` as JSON; resolves on 2xx, throws `HttpStatusError` (with `retry-after`) otherwise. */
export async function postJson(
  service: string,
  url: string,
  payload: unknown,
  fetchImpl: FetchLike,
  timeoutMs: number,
): Promise<void> {
  let response: Response;
  try {
    response = await fetchImpl(url, {
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (cause) {
    // fetch says only "fetch failed"; the socket's reason is one level down.
    const inner = (cause as { cause?: { code?: string; message?: string } }).cause;
    const code = inner?.code ?? inner?.message ?? (cause as Error).name;
    throw new Error(`${service} webhook unreachable (${code})`, { cause });
  }
  if (response.ok) {
    await response.body?.cancel();
    return;
  }
  // Slack and Teams put a short reason in the body (invalid_payload, no_service, ...).
  const reason = (await response.text().catch(() => "")).slice(0, 200).replace(/\s+/g, " ").trim();
  throw new HttpStatusError(
    `${service} webhook answered ${response.status}${reason ? `: ${reason}` : ""}`,
    response.status,
    parseRetryAfter(response.headers.get("retry-after")),
  );
}
