// The dashboard's one HTML page: a shell that loads ./assets/main.js, which draws every view. All
// URLs are relative, so the page works at any mount point and behind any proxy prefix. The only
// values written into it are the page config (JSON in an attribute, HTML-escaped), nothing from a task.
import type { PageConfig } from './client/api-types';

/** A small stacked-boxes icon; no colour needed to recognise it. */
export const FAVICON_SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect x="1" y="2" width="14" height="3" rx="1" fill="#2563eb"/>' +
  '<rect x="1" y="7" width="10" height="3" rx="1" fill="#16a34a"/><rect x="1" y="12" width="6" height="3" rx="1" fill="#dc2626"/></svg>';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

export function pageHtml(config: PageConfig): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<meta name="tw-dashboard" content="${escapeHtml(JSON.stringify(config))}">
<title>Tasks · task-worker</title>
<link rel="icon" href="assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="assets/dashboard.css">
<script type="module" src="assets/main.js"></script>
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
<a class="brand" href="#/queues">task-worker</a>
<nav id="nav" aria-label="Dashboard"></nav>
<span id="live" class="live" role="status" aria-live="polite">connecting…</span>
</header>
<main id="main" tabindex="-1"><p class="muted">Loading…</p></main>
<div id="toasts" class="toasts" role="status" aria-live="polite"></div>
<noscript><p class="noscript">The dashboard needs JavaScript.</p></noscript>
</body>
</html>
`;
}
