/**
 * The services' own contracts, checked on what the channels send: Block Kit's limits as
 * Slack's reference states them (written out here, not imported from the renderer, so a
 * wrong constant there fails a test), and the Adaptive Cards parser of the `adaptivecards`
 * package (Microsoft's own; it parses and reports without a DOM) for the Teams card.
 */
import { AdaptiveCard, SerializationContext, Versions } from "adaptivecards";
import type { KnownBlock } from "@slack/types";

/** A lone surrogate: half an emoji, which Slack and Teams refuse or show as garbage. */
export const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Every string inside a JSON value. */
export function stringsOf(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value && typeof value === "object") return Object.values(value).flatMap(stringsOf);
  return [];
}

/**
 * mrkdwn that Slack would misread: a `&` that is no entity, a `<` or `>` outside a
 * `<https://...|label>` link.
 */
function mrkdwnProblems(text: string, where: string): string[] {
  const bare = text.replace(/<https?:\/\/[^\s<>|]+\|[^<>]*>/g, "");
  const problems: string[] = [];
  if (/&(?!amp;|lt;|gt;)/.test(bare)) problems.push(`${where}: a bare & (or a cut entity)`);
  if (/[<>]/.test(bare)) problems.push(`${where}: a bare < or >`);
  return problems;
}

/** What breaks Block Kit's rules in a webhook message; empty when Slack would take it. */
export function slackViolations(payload: { text: string; blocks: KnownBlock[] }): string[] {
  const out: string[] = [];
  const limit = (what: string, n: number, max: number) => {
    if (n > max) out.push(`${what}: ${n} > ${max}`);
  };
  limit("blocks", payload.blocks.length, 50);
  limit("text", payload.text.length, 3000);
  payload.blocks.forEach((b, i) => {
    const at = `blocks[${i}] (${b.type})`;
    if (b.block_id) limit(`${at}.block_id`, b.block_id.length, 255);
    if (b.type === "header") limit(`${at}.text`, b.text.text.length, 150);
    if (b.type === "section") {
      if (!b.text && !b.fields) out.push(`${at}: neither text nor fields`);
      if (b.text) limit(`${at}.text`, b.text.text.length, 3000);
      if (b.text?.type === "mrkdwn") out.push(...mrkdwnProblems(b.text.text, at));
      limit(`${at}.fields`, b.fields?.length ?? 0, 10);
      for (const f of b.fields ?? []) limit(`${at}.fields[]`, f.text.length, 2000);
    }
    if (b.type === "context") limit(`${at}.elements`, b.elements.length, 10);
    if (b.type === "actions") {
      limit(`${at}.elements`, b.elements.length, 25);
      for (const e of b.elements) {
        if (e.type !== "button") continue;
        limit(`${at} button text`, e.text.text.length, 75);
        limit(`${at} button url`, e.url?.length ?? 0, 3000);
        limit(`${at} button action_id`, e.action_id?.length ?? 0, 255);
      }
    }
  });
  if (stringsOf(payload).some((s) => LONE_SURROGATE.test(s))) out.push("a lone surrogate");
  return out;
}

/**
 * What the Adaptive Cards parser reports for a card at version 1.4 (what Teams renders):
 * unknown element types, invalid property values, properties of a later version.
 */
export function adaptiveCardErrors(content: unknown): string[] {
  const card = new AdaptiveCard();
  const context = new SerializationContext(Versions.v1_4);
  card.parse(content, context);
  const errors: string[] = [];
  for (let i = 0; i < context.eventCount; i++) errors.push(context.getEventAt(i).message);
  for (const e of card.validateProperties().validationEvents) errors.push(e.message);
  return errors;
}
