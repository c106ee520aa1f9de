/**
 * A minimal OpenAI-compatible chat-completions server on 127.0.0.1 for the LLM analyst's
 * tests: each request is answered by the next scripted reply, and every request body is
 * kept so a test can read what the real client sent.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

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

function completion(model: string, content: string) {
  return {
    id: "chatcmpl-test", object: "chat.completion", created: 0, model,
    choices: [{ index: 0, finish_reason: "stop", logprobs: null, message: { role: "assistant", content, refusal: null } }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  };
}

/** Starts the server; replies are used in order, the last one repeats. */
export async function startLlmServer(replies: Reply[]): Promise<LlmServer> {
  const requests: ChatRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let text = "";
    for await (const chunk of req) text += chunk;
    if (!req.url?.endsWith("/chat/completions")) { res.writeHead(404).end(); return; }
    const request: ChatRequest = { body: JSON.parse(text), authorization: req.headers.authorization };
    requests.push(request);
    let reply = replies[Math.min(requests.length - 1, replies.length - 1)]!;
    while (typeof reply === "function") reply = reply(request);
    if ("hang" in reply) { hanging.add(res); return; }
    if ("content" in reply) {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(completion(request.body.model, reply.content)));
      return;
    }
    res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers }).end(JSON.stringify(reply.body ?? { error: { message: `status ${reply.status}` } }));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
