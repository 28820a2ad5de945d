// Headers on every answer: no framing (a framed board would let another site trick an operator into clicking
// retry or clean), no MIME sniffing, no referrer leaving the console, and authenticated answers kept out of caches
// unless they say otherwise (Bull Board's static files do). Our own pages load only our own files: no inline
// script or style, no other origin. Bull Board (under /queues) ships inline styles: its page may use those, but
// fetch nothing from another origin (board-page.ts takes out its Google Fonts link).
import type { FastifyInstance } from 'fastify';

export const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
export const BOARD_CSP =
  "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; " +
  "connect-src 'self'; form-action 'self'; base-uri 'self'; frame-ancestors 'none'";

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
