/**
 * The LLM analyst's tests' view of the OpenAI-compatible stand-in (openai-server.ts): each request is answered by the next scripted reply, and every request body is
 * kept so a test can read what the real client sent.
 */
import { chatCompletion, errorBody, startOpenAIServer } from "./openai-server.ts";

/** One scripted reply. */
export type Reply =
  | { content: string }
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | { hang: true }
  | ((request: ChatRequest) => Reply);

/** What arrived at `/chat/completions`. */
export interface ChatRequest {
  body: {
    model: string;
    messages: Array<{ role: string; content: string }>;
    response_format?: { type: string; json_schema?: { name: string; schema: unknown } };
    tools?: unknown[];
  };
  authorization: string | undefined;
}

/** A running stand-in. */
export interface LlmServer {
  baseURL: string;
  requests: ChatRequest[];
  close(): Promise<void>;
}

/** Starts the server; replies are used in order, the last one repeats. */
export async function startLlmServer(replies: Reply[]): Promise<LlmServer> {
  const requests: ChatRequest[] = [];
  // The generic stand-in speaks the wire format; this adapter only scripts it.
  const server = await startOpenAIServer((_body, n, recorded) => {
    const request: ChatRequest = {
      body: recorded.body as ChatRequest["body"],
      authorization: recorded.headers.authorization,
    };
    requests.push(request);
    let reply = replies[Math.min(n - 1, replies.length - 1)]!;
    while (typeof reply === "function") reply = reply(request);
    if ("hang" in reply) return { delayMs: 1, hang: true };
    if ("content" in reply) return { json: chatCompletion(reply.content, request.body.model) };
    return {
      status: reply.status,
      json: reply.body ?? errorBody(reply.status, `status ${reply.status}`),
      ...(reply.headers ? { headers: reply.headers } : {}),
    };
  });
  return { baseURL: server.baseURL, requests, close: () => server.close() };
}
