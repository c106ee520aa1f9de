/**
 * The graph as LangGraph's tools load it (`langgraph.json`: LangGraph Studio,
 * `@langchain/langgraph-cli`): compiled, with the embedded default services of the
 * repository in `MLOPS_REPO` (default: the working folder), built on the first run that
 * comes without a context. Runs invoked by the project itself (app/pipeline.ts) pass their
 * own services and a checkpointer; the tools bring their own checkpointer.
 */
import { join, resolve } from "node:path";
import { buildGraph } from "../graph/graph.ts";
import { type PipelineServices, provideDefaultServices } from "../graph/services.ts";
import { loadConfig } from "../lib/config.ts";
import { createServices } from "./services.ts";

const repoDir = resolve(process.env.MLOPS_REPO ?? process.cwd());
const config = loadConfig(join(repoDir, "mlops.config.json"));
let services: PipelineServices | undefined;
provideDefaultServices(() => (services ??= createServices(repoDir, config)));

/** The pipeline's graph, for LangGraph's tools. */
export const graph = buildGraph({ threshold: config.quality.threshold });
