// The explorer's single page: one HTML document with its style and script inlined, read from
// src/ui/page/ when the server starts (they are plain files so that an editor, a linter and a
// reader see HTML, CSS and JavaScript, not strings). Nothing in it is fetched from elsewhere.

import { readFileSync } from 'node:fs';

const PART = /<!--\s*(STYLE|SCRIPT)\s*-->/g;

function read(name: string): string {
  return readFileSync(new URL(`./page/${name}`, import.meta.url), 'utf8');
}

/** The page, with `app.css` and `app.js` inlined into `index.html`. */
export function explorerPage(): string {
  const parts: Record<string, string> = {
    STYLE: `<style>\n${read('app.css')}</style>`,
    // A "</script" inside the script would end it early; the script has none, and this says so.
    SCRIPT: `<script>\n${read('app.js').replace(/<\/script/gi, '<\\/script')}</script>`,
  };
  // A function replacer: the files are inserted literally (no "$&" patterns).
  return read('index.html').replace(PART, (_, key: string) => parts[key]);
}
