/**
 * The GitHub stand-in's Actions settings: the repository's default workflow permissions
 * (Settings -> Actions -> General -> Workflow permissions), as GET answers them to a token
 * allowed to read them. The workflow's own token is not (the endpoint needs Administration
 * read, which a workflow cannot grant it) and gets GitHub's 403, unless a test lets it.
 */
import { R, refusal, type Route } from "./github-route-kit.ts";
import { ACTIONS_BOT } from "./github-state.ts";

/** The Actions settings endpoints. */
export const actionsRoutes: Route[] = [
  {
    method: "GET",
    pattern: new RegExp(`${R}/actions/permissions/workflow$`),
    handle(ctx) {
      const s = ctx.state;
      if (s.login === ACTIONS_BOT && !s.refusals.actionsTokenReadsSettings)
        return refusal(
          403,
          "Resource not accessible by integration",
          "https://docs.github.com/rest/actions/permissions#get-default-workflow-permissions-for-a-repository",
        );
      return {
        status: 200,
        body: {
          default_workflow_permissions: s.actions.defaultWorkflowPermissions,
          can_approve_pull_request_reviews: s.actions.canApprovePullRequestReviews,
        },
      };
    },
  },
];
