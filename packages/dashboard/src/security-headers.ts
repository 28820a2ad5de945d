// Headers on every answer: no framing (a framed board would let another site trick an operator into clicking
// retry or clean), no MIME sniffing, no referrer leaving the console, and authenticated answers kept out of caches
// unless they say otherwise (Bull Board's static files do).
import type { FastifyInstance } from 'fastify';

export function registerSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    reply.header('x-frame-options', 'DENY');
    reply.header('content-security-policy', "frame-ancestors 'none'");
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    if (request.principal && !reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
