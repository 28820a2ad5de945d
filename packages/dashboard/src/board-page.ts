// Bull Board's page (its index.ejs) loads IBM Plex from fonts.googleapis.com: a console must not tell a third party
// who opens it and when, nor break on a network without the Internet. The stylesheet links to other origins are
// taken out of the page as it is sent (the fonts fall back to the system's sans-serif and monospace), and the
// board's CSP allows only our own origin, so anything remote a later Bull Board adds is blocked, not fetched.
import type { FastifyInstance } from 'fastify';

/** `<link … href="https://…">` or protocol-relative `//…`: a resource of another origin. */
const REMOTE_LINK = /<link\b[^>]*\bhref=["'](?:https?:)?\/\/[^"']*["'][^>]*>\s*/gi;

export function stripRemoteLinks(html: string): string {
  return html.replace(REMOTE_LINK, '');
}

export function registerBoardPage(app: FastifyInstance, boardPath: string): void {
  app.addHook('onSend', async (request, reply, payload) => {
    if (typeof payload !== 'string' || !request.url.startsWith(boardPath)) return payload;
    if (!String(reply.getHeader('content-type') ?? '').startsWith('text/html')) return payload;
    return stripRemoteLinks(payload);
  });
}
