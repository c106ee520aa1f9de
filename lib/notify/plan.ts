/**
 * Which alert channels are on, and why, from the `notify` section and the environment the
 * workflows pass (NOTIFY_ENV): a channel is on when its section is present or its
 * variables are set, and the section's fields win. The GitHub issue channel is on by
 * default in Actions. A channel someone clearly asked for but that cannot work (a webhook
 * URL that is not https, an SMTP login without its password, a section whose secret is
 * empty) stays on, so each alert to it is a failed delivery with the reason, and is a
 * warning from the start. Pure: the notifier (notifier.ts) acts on the plan.
 */
import {
  EmailChannelSchema,
  GithubIssueChannelSchema,
  NOTIFY_ENV as E,
  type NotifySettings,
} from "./config.ts";

/** The SMTP server and envelope, settled from the section and the environment. */
export interface EmailTarget {
  smtp_host: string;
  smtp_port: number;
  secure: boolean;
  from: string;
  to: string[];
  /** The variables holding the login; both empty = no login. */
  user_env: string;
  password_env: string;
}

/** A channel that is on: why, and its settings or the problem that fails each alert to it. */
export type PlannedChannel<T> = { why: string } & (
  { settings: T; problem?: undefined } | { settings?: undefined; problem: string }
);

/** The channels besides the local file, and what to tell the person running the pipeline. */
export interface ChannelPlan {
  slack?: PlannedChannel<{ url: string }>;
  teams?: PlannedChannel<{ url: string }>;
  email?: PlannedChannel<EmailTarget>;
  github_issue?: PlannedChannel<{ labels: string[] }>;
  /** The channels that are off, each with why: "teams (no notify.teams, MLOPS_TEAMS_WEBHOOK_URL unset)". */
  off: string[];
  /** What is set but cannot work, each naming what is missing and the fix; no secret values. */
  warnings: string[];
}

/** What the plan needs to know about the host. */
export interface PlanContext {
  /** GITHUB_ACTIONS=true. */
  inActions: boolean;
  /** A GitHub client and repository exist. */
  github: boolean;
}

type Env = NodeJS.ProcessEnv;
type Outcome<T> = PlannedChannel<T> | { offBecause: string };

const valueOf = (env: Env, name: string) => env[name]?.trim() || undefined;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]"]);
const list = (names: string[]) =>
  names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
const isAre = (names: string[]) => (names.length === 1 ? "is" : "are");

/** Why a webhook URL cannot be used, without quoting it (it is the secret); null when it can. */
export function webhookUrlProblem(url: string, envName: string, service: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `${envName} is not a URL (fix: paste the whole webhook URL ${service} gave, starting https://)`;
  }
  if (parsed.protocol === "https:") return null;
  if (parsed.protocol === "http:" && LOOPBACK.has(parsed.hostname)) return null;
  return `${envName} is not an https URL (it starts ${parsed.protocol}//; fix: use the https webhook URL ${service} gave; plain http is taken only for a receiver on this machine)`;
}

function webhookPlan(
  name: "slack" | "teams",
  service: string,
  section: { webhook_url_env: string } | undefined,
  defaultEnv: string,
  env: Env,
  warnings: string[],
): Outcome<{ url: string }> {
  const urlEnv = section?.webhook_url_env ?? defaultEnv;
  const url = valueOf(env, urlEnv);
  if (section && urlEnv !== defaultEnv && valueOf(env, defaultEnv))
    warnings.push(
      `${defaultEnv} is set, but notify.${name}.webhook_url_env reads ${urlEnv}, so ${defaultEnv} is ignored (fix: drop webhook_url_env from notify.${name}, or delete ${defaultEnv})`,
    );
  if (!section && !url) return { offBecause: `no notify.${name}, ${defaultEnv} unset` };
  const why = section ? `notify.${name}` : `${defaultEnv} is set`;
  if (!url)
    return {
      why,
      problem: `${urlEnv} is not set (fix: set it in the environment, a repository secret in Actions passed to the step, or remove notify.${name})`,
    };
  const problem = webhookUrlProblem(url, urlEnv, service);
  return problem ? { why, problem } : { why, settings: { url } };
}

const SMTP_NEEDS: string[] = [E.smtpHost, E.emailFrom, E.emailTo];
const SMTP_VARS = [...SMTP_NEEDS, E.smtpPort, E.smtpSecure, E.smtpUser, E.smtpPassword];
const FIELD_ENV: Record<string, string> = {
  smtp_host: E.smtpHost,
  smtp_port: E.smtpPort,
  secure: E.smtpSecure,
  from: E.emailFrom,
  to: E.emailTo,
};

function portOf(raw: string | undefined): number | string | undefined {
  if (raw === undefined) return undefined;
  const port = Number(raw);
  return /^\d+$/.test(raw) && port >= 1 && port <= 65_535
    ? port
    : `${E.smtpPort} is "${raw}", not a port 1-65535 (fix: 587 for STARTTLS, 465 for TLS)`;
}

function secureOf(raw: string | undefined): boolean | string | undefined {
  if (raw === undefined) return undefined;
  if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === "true";
  return `${E.smtpSecure} is "${raw}", not true or false (fix: true for TLS from the start, port 465; false for STARTTLS)`;
}

function emailPlan(
  section: NotifySettings["email"],
  env: Env,
  warnings: string[],
): Outcome<EmailTarget> {
  const set = SMTP_VARS.filter((n) => valueOf(env, n));
  if (!section && set.length === 0) return { offBecause: `no notify.email, ${E.smtpHost} unset` };
  const needed = set.filter((n) => SMTP_NEEDS.includes(n));
  const named = needed.length > 0 ? needed : set;
  const why = section ? "notify.email" : `${list(named)} ${isAre(named)} set`;
  const fail = (problem: string): Outcome<EmailTarget> => ({ why, problem });
  const missing = SMTP_NEEDS.filter((n) => !valueOf(env, n));
  if (!section && missing.length > 0)
    return fail(
      `e-mail alerts need ${list(SMTP_NEEDS)}, but ${list(missing)} ${isAre(missing)} not set while ${list(set)} ${isAre(set)} (fix: set the repository variables ${list(missing)} and pass them to the step, or delete ${list(set)})`,
    );
  const port = section?.smtp_port ?? portOf(valueOf(env, E.smtpPort)) ?? 587;
  if (typeof port === "string") return fail(port);
  const secure = section?.secure ?? secureOf(valueOf(env, E.smtpSecure)) ?? port === 465;
  if (typeof secure === "string") return fail(secure);
  const user_env = section?.user_env ?? E.smtpUser;
  const password_env = section?.password_env ?? E.smtpPassword;
  const [user, pass] = [valueOf(env, user_env), valueOf(env, password_env)];
  if (Boolean(user) !== Boolean(pass)) {
    const [has, lacks] = user ? [user_env, password_env] : [password_env, user_env];
    return fail(
      `${has} is set but ${lacks} is not: an SMTP login needs both (fix: set ${lacks} too, or delete ${has} to send without a login)`,
    );
  }
  if (section?.user_env && !user)
    warnings.push(
      `notify.email names ${user_env} and ${password_env}, but neither is set: e-mail goes out without a login (fix: set both secrets, or drop user_env and password_env)`,
    );
  const raw = section ?? {
    smtp_host: valueOf(env, E.smtpHost),
    from: valueOf(env, E.emailFrom),
    to: (valueOf(env, E.emailTo) ?? "").split(",").flatMap((a) => (a.trim() ? [a.trim()] : [])),
  };
  const parsed = EmailChannelSchema.safeParse({ ...raw, smtp_port: port, secure });
  if (!parsed.success)
    return fail(
      parsed.error.issues
        .map(
          (i) =>
            `${FIELD_ENV[String(i.path[0])] ?? `notify.email.${i.path.join(".")}`}: ${i.message}`,
        )
        .join("; "),
    );
  const { smtp_host, from, to } = parsed.data;
  const settings = { smtp_host, smtp_port: port, secure, from, to, user_env, password_env };
  return { why, settings };
}

function githubIssuePlan(
  section: NotifySettings["github_issue"],
  ctx: PlanContext,
): Outcome<{ labels: string[] }> {
  if (section && !section.enabled) return { offBecause: "notify.github_issue.enabled is false" };
  const labels = section?.labels ?? GithubIssueChannelSchema.parse({}).labels;
  if (section)
    return ctx.github
      ? { why: "notify.github_issue", settings: { labels } }
      : {
          why: "notify.github_issue",
          problem:
            "no GitHub client or repository was given (fix: run in Actions with GITHUB_TOKEN, or drop notify.github_issue)",
        };
  if (!ctx.inActions) return { offBecause: "outside Actions only with notify.github_issue" };
  if (!ctx.github) return { offBecause: "no GitHub token in this job" };
  return { why: "on by default in Actions", settings: { labels } };
}

/** The channels the section and the environment turn on; pure. */
export function planChannels(config: NotifySettings, env: Env, ctx: PlanContext): ChannelPlan {
  const warnings: string[] = [];
  const plan: ChannelPlan = { off: [], warnings };
  const place = <T>(name: string, o: Outcome<T>, put: (c: PlannedChannel<T>) => void) => {
    if ("offBecause" in o) return void plan.off.push(`${name} (${o.offBecause})`);
    if (o.problem) warnings.push(`alert channel ${name} cannot deliver: ${o.problem}`);
    put(o);
  };
  const { slackWebhookUrl, teamsWebhookUrl } = E;
  place(
    "slack",
    webhookPlan("slack", "Slack", config.slack, slackWebhookUrl, env, warnings),
    (c) => (plan.slack = c),
  );
  place(
    "teams",
    webhookPlan("teams", "Teams", config.teams, teamsWebhookUrl, env, warnings),
    (c) => (plan.teams = c),
  );
  place("email", emailPlan(config.email, env, warnings), (c) => (plan.email = c));
  place("github_issue", githubIssuePlan(config.github_issue, ctx), (c) => (plan.github_issue = c));
  return plan;
}

/** The one line that says which channels are on and why, and which are off; no secrets. */
export function describePlan(plan: ChannelPlan): string {
  const on = (["slack", "teams", "email", "github_issue"] as const).flatMap((name) => {
    const c = plan[name];
    if (!c) return [];
    return [`${name} (${c.why}${c.problem ? "; cannot deliver, see the warning" : ""})`];
  });
  const off = plan.off.length > 0 ? `; off: ${plan.off.join(", ")}` : "";
  return `alert channels: file (always)${on.map((c) => `, ${c}`).join("")}${off}`;
}
