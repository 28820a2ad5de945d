// Headers on every answer: no framing (a framed board would let another site trick an operator into clicking
// retry or clean), no MIME sniffing, no referrer leaving the console, and authenticated answers kept out of caches
// unless they say otherwise (Bull Board's static files do). Our own pages load only our own files: no inline
// script or style, no other origin. Bull Board (under /queues) ships inline code, so it keeps only the framing rule.
import type { FastifyInstance } from 'fastify';

export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const BOARD_CSP = "frame-ancestors 'none'";

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-frame-options', 'DENY');
    const board = request.url === '/queues' || request.url.startsWith('/queues/');
    reply.header('content-security-policy', board ? BOARD_CSP : CONSOLE_CSP);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (request.principal && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
