/**
 * The endpoints of the GitHub stand-in (see github-server.ts), in the order they are
 * matched: each answers with the response shape, status and error message GitHub
 * documents for it. Only the endpoints the project uses exist.
 */
import type { Route } from "./github-route-kit.ts";
import { actionsRoutes } from "./github-routes-actions.ts";
import { gitRoutes } from "./github-routes-git.ts";
import { issueRoutes } from "./github-routes-issues.ts";
import { pullRoutes } from "./github-routes-pulls.ts";
import { releaseRoutes } from "./github-routes-releases.ts";

/** Every endpoint the stand-in serves. */
export const routes: Route[] = [
  ...gitRoutes,
  ...pullRoutes,
  ...issueRoutes,
  ...releaseRoutes,
  ...actionsRoutes,
];
