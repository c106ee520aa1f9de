/**
 * An OpenAI-compatible stand-in on 127.0.0.1 (port 0) for tests: it records every request
 * and answers what the test's handler scripts, in the real wire format of
 * `POST /v1/chat/completions`. The helpers build the two answers @langchain/openai's
 * structured output reads: `choices[0].message.content` (a JSON string) for a
 * `response_format: json_schema` request, `message.tool_calls[0].function.arguments` for
 * function calling. Reusable by any test that talks to an LLM through ChatOpenAI.
 */
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/** A chat.completions request body as ChatOpenAI sends it (the parts tests look at). */
export interface ChatRequestBody {
  model: string;
  messages: Array<{
    role: string;
    content: string | Array<{ type: string; text?: string; image_url?: { url: string } }>;
  }>;
  response_format?: {
    type: string;
    json_schema?: { name: string; schema: unknown; strict?: boolean };
  };
  tools?: Array<{ type: "function"; function: { name: string; parameters: unknown } }>;
  tool_choice?: unknown;
  [key: string]: unknown;
}

/** One recorded request. */
export interface RecordedRequest {
  n: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: ChatRequestBody;
}

/**
 * What to answer: a status and JSON body (status defaults to 200), optionally after a
 * delay; or a delay alone that never answers (a hung server, for timeouts). `raw` sends
 * the text as is (a broken body).
 */
export type ScriptedReply =
  | {
      status?: number;
      json?: unknown;
      raw?: string;
      headers?: Record<string, string>;
      delayMs?: number;
    }
  | { delayMs: number; hang: true };

/** Scripts the reply to the n-th request (1-based). */
export type OpenAIHandler = (
  body: ChatRequestBody,
  n: number,
  request: RecordedRequest,
) => ScriptedReply | Promise<ScriptedReply>;

/** A running stand-in: `baseURL` ends in /v1, as ChatOpenAI's `configuration.baseURL` expects. */
export interface OpenAIServer {
  baseURL: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/** Starts the stand-in; the test closes it. */
export async function startOpenAIServer(handler: OpenAIHandler): Promise<OpenAIServer> {
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const wait = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(() => {
        timers.delete(t);
        r();
      }, ms);
      timers.add(t);
    });
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      let body: ChatRequestBody;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}") as ChatRequestBody;
      } catch {
        res
          .writeHead(400, { "content-type": "application/json" })
          .end(JSON.stringify(errorBody(400, "invalid JSON body")));
        return;
      }
      const recorded: RecordedRequest = {
        n: requests.length + 1,
        method: req.method ?? "",
        path: req.url ?? "",
        headers: req.headers,
        body,
      };
      requests.push(recorded);
      try {
        const reply = await handler(body, recorded.n, recorded);
        if (reply.delayMs) await wait(reply.delayMs);
        if ("hang" in reply) return; // never answer; close() drops the socket
        if (res.destroyed) return;
        const status = reply.status ?? 200;
        const text = reply.raw ?? JSON.stringify(reply.json ?? {});
        res.writeHead(status, { "content-type": "application/json", ...reply.headers }).end(text);
      } catch (err) {
        res
          .writeHead(500, { "content-type": "application/json" })
          .end(JSON.stringify(errorBody(500, (err as Error).message)));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An OpenAI error body, as the API sends with 4xx/5xx. */
export function errorBody(status: number, message: string): unknown {
  return {
    error: {
      message,
      type: status === 429 ? "rate_limit_error" : "server_error",
      param: null,
      code: null,
    },
  };
}

/** A chat.completion whose message content is `content` (a string, or JSON-encoded if not). */
export function chatCompletion(content: unknown, model = "stand-in"): unknown {
  return {
    id: "chatcmpl-standin",
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    choices: [
      {
        index: 0,
        finish_reason: "stop",
        logprobs: null,
        message: {
          role: "assistant",
          content: typeof content === "string" ? content : JSON.stringify(content),
          refusal: null,
        },
      },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
  };
}

/** A chat.completion that calls `name` with `args` (function calling / tool_choice). */
export function toolCallCompletion(name: string, args: unknown, model = "stand-in"): unknown {
  return {
    id: "chatcmpl-standin",
    object: "chat.completion",
    created: 1_700_000_000,
    model,
    choices: [
      {
        index: 0,
        finish_reason: "tool_calls",
        logprobs: null,
        message: {
          role: "assistant",
          content: null,
          refusal: null,
          tool_calls: [
            {
              id: "call_standin",
              type: "function",
              function: { name, arguments: typeof args === "string" ? args : JSON.stringify(args) },
            },
          ],
        },
      },
    ],
    usage: { prompt_tokens: 10, completion_tokens: 10, total_tokens: 20 },
  };
}

/** The structured answer in whichever form the request asked for (tools or response_format). */
export function structuredReply(body: ChatRequestBody, answer: unknown): ScriptedReply {
  const tool = body.tools?.[0]?.function.name;
  return {
    json: tool ? toolCallCompletion(tool, answer, body.model) : chatCompletion(answer, body.model),
  };
}

/** The text parts of every message of a request, joined: what the model was told. */
export function promptText(body: ChatRequestBody): string {
  return body.messages
    .map((m) =>
      typeof m.content === "string" ? m.content : m.content.map((p) => p.text ?? "").join("\n"),
    )
    .join("\n");
}

/** The data: URLs of the images a request carries, in order. */
export function imageUrls(body: ChatRequestBody): string[] {
  return body.messages.flatMap((m) =>
    typeof m.content === "string"
      ? []
      : m.content.filter((p) => p.type === "image_url").map((p) => p.image_url!.url),
  );
}
