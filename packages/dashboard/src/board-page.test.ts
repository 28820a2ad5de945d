import { describe, expect, it } from 'vitest';
import { stripRemoteLinks } from './board-page.js';

describe('stripRemoteLinks', () => {
  it("takes out links to other origins and keeps the page's own", () => {
    const html =
      '<link href="https://fonts.googleapis.com/css2?family=X" rel="stylesheet">\n' +
      "<link rel='stylesheet' href='//cdn.example/x.css'>\n" +
      '<link href="static/css/main.css" rel="stylesheet">';
    expect(stripRemoteLinks(html)).toBe('<link href="static/css/main.css" rel="stylesheet">');
  });
});
