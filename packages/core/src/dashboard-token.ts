// Dashboard access tokens: who may open the web console, with which role, in which team. The token text is
// `rdt_<id>_<secret>`: the id names the record (to list and revoke it, and to look it up in one read), the secret
// is 32 random bytes that only the holder has; Redis keeps the SHA-256 of the whole text, never the text.
import { z } from 'zod';
import { teamNameSchema } from './names.js';

/** Ordered weakest first: a role may do everything the roles before it may. */
export const DASHBOARD_ROLES = ['viewer', 'operator', 'admin'] as const;
export type DashboardRole = (typeof DASHBOARD_ROLES)[number];
export const dashboardRoleSchema = z.enum(DASHBOARD_ROLES, {
  error: `role must be one of ${DASHBOARD_ROLES.join(', ')}`,
});

/** Whether `role` may do what `needed` may. */
export function roleAtLeast(role: DashboardRole, needed: DashboardRole): boolean {
  return DASHBOARD_ROLES.indexOf(role) >= DASHBOARD_ROLES.indexOf(needed);
}

export const tokenIdSchema = z
  .string({ error: 'token id must be a string' })
  .regex(/^[0-9a-f]{16}$/, 'token id must be 16 lower-case hex digits, as `rediacc dashboard token list` shows it');

const TOKEN_PATTERN = /^rdt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

/** The id inside a token text, or undefined when the text is not a token at all. */
export function tokenIdOf(token: string): string | undefined {
  return TOKEN_PATTERN.exec(token)?.[1];
}

export function formatToken(id: string, secret: string): string {
  return `rdt_${id}_${secret}`;
}

export const dashboardTokenSchema = z
  .object({
    id: tokenIdSchema,
    /** SHA-256 of the whole token text, hex. */
    hash: z.string().regex(/^[0-9a-f]{64}$/),
    role: dashboardRoleSchema,
    /** The one team the token may see; absent: every team (a fleet token). */
    team: teamNameSchema.optional(),
    createdAt: z.number().int(),
    /** Epoch ms after which the token is refused; absent: until revoked. */
    expiresAt: z.number().int().optional(),
    /** Who created it (the audit actor). */
    createdBy: z.string().optional(),
  })
  .strict();
export type DashboardToken = z.infer<typeof dashboardTokenSchema>;

/** What a token may see, without its hash: what the server passes around once a request is authenticated. */
export type DashboardPrincipal = Omit<DashboardToken, 'hash'>;
