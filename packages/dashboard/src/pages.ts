// The login page, server-rendered (the console's pages are in console-pages.ts). Every value that reaches HTML
// goes through escapeHtml; no page carries a token, and the CSRF token is rendered only into its own session's pages.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · rediacc</title>
<link rel="stylesheet" href="/assets/base.css">
<link rel="stylesheet" href="/assets/login.css">
</head><body class="gate"><main class="login panel">${body}</main></body></html>\n`;
}

export function loginPage(error?: string): string {
  const message = error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : '';
  return layout(
    'Log in',
    `<h1><span class="logo" aria-hidden="true"></span>rediacc console</h1>${message}
<form method="post" action="/login">
<p><label for="token">Dashboard token (from <code>rediacc dashboard token create</code>)</label><br>
<input id="token" name="token" type="password" autocomplete="off" required></p>
<p><button type="submit">Log in</button></p>
</form>`,
  );
}
