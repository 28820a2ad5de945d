// Machine tags (`role=web`, `env=prod`) and the selectors that pick machines by them (`role=web,env=prod`: every
// pair must match). Keys and values are short words of a key-safe alphabet: they travel in job data, audit entries
// and CLI flags, and a selector is written on one command line.
import { z } from 'zod';

export const TAG_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
/** Tags one machine may carry. */
export const MAX_TAGS = 32;

const TAG_RULE = "1-63 characters of letters, digits, '.', '_' or '-', starting with a letter or digit";

export const tagKeySchema = z.string().regex(TAG_PATTERN, `tag key must be ${TAG_RULE} (for example role)`);
export const tagValueSchema = z.string().regex(TAG_PATTERN, `tag value must be ${TAG_RULE} (for example web)`);

/** A machine's tags: key → value. */
export const machineTagsSchema = z
  .record(tagKeySchema, tagValueSchema)
  .refine((tags) => Object.keys(tags).length <= MAX_TAGS, `a machine carries at most ${MAX_TAGS} tags`);
export type MachineTags = z.infer<typeof machineTagsSchema>;

/** One `key=value` as typed on a command line. */
export const tagPairSchema = z
  .string()
  .transform((text, ctx) => {
    const eq = text.indexOf('=');
    if (eq < 1) {
      ctx.addIssue({ code: 'custom', message: `tag "${text}" must be key=value (for example role=web)` });
      return z.NEVER;
    }
    return { key: text.slice(0, eq), value: text.slice(eq + 1) };
  })
  .pipe(z.object({ key: tagKeySchema, value: tagValueSchema }));
export type TagPair = z.output<typeof tagPairSchema>;

/** A selector as typed: `role=web,env=prod`; a machine matches when it carries every pair. */
const selectorTextSchema = z.string().transform((text, ctx) => {
  const pairs = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (pairs.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'selector must name at least one key=value (for example role=web)' });
    return z.NEVER;
  }
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const parsed = tagPairSchema.safeParse(pair);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: parsed.error.issues[0]?.message ?? `bad selector pair "${pair}"` });
      return z.NEVER;
    }
    out[parsed.data.key] = parsed.data.value;
  }
  return out;
});

/** A selector: `role=web,env=prod`, or the object form `{ role: 'web', env: 'prod' }` (checked the same way). */
export const selectorSchema = z.preprocess(
  (value) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? Object.entries(value)
          .map(([k, v]) => `${k}=${String(v)}`)
          .join(',')
      : value,
  selectorTextSchema,
);
export type Selector = z.output<typeof selectorSchema>;
export type SelectorInput = string | Record<string, string>;

/** Whether a machine's tags carry every pair of the selector. */
export function matchesSelector(tags: MachineTags | undefined, selector: Selector): boolean {
  return Object.entries(selector).every(([key, value]) => tags?.[key] === value);
}

/** `role=web,env=prod`: a selector or tags as typed. */
export function formatTags(tags: MachineTags | undefined): string {
  return Object.entries(tags ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
