// The dashboard's stylesheet, served as ./assets/dashboard.css (a string here, so that tsc ships it
// in dist with the code; no build step). Light and dark themes follow the system setting; states
// carry an icon and a word as well as a colour; tables turn into stacked cards on a phone.
export const DASHBOARD_CSS = `
:root {
  color-scheme: light dark;
  --bg: #f6f7f9; --panel: #ffffff; --text: #1d2330; --muted: #5d6677; --line: #dde1e8; --accent: #2457c5;
  --ok: #17803d; --ok-bg: #e5f5ea; --bad: #c4281c; --bad-bg: #fdeceb; --warn: #9a5b00; --warn-bg: #fdf3e1;
  --run: #2457c5; --run-bg: #e7eefc; --wait: #4f5869; --wait-bg: #eceef2; --code-bg: #f1f3f6; --focus: #2457c5; --on-accent: #ffffff;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 15px; line-height: 1.45;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111418; --panel: #1a1e24; --text: #e4e7ec; --muted: #9aa3b2; --line: #2d333c; --accent: #7aa7ff;
    --ok: #5fd186; --ok-bg: #173423; --bad: #ff7b72; --bad-bg: #3d1b19; --warn: #f0b35a; --warn-bg: #3a2b12;
    --run: #7aa7ff; --run-bg: #1b2a47; --wait: #b3bac6; --wait-bg: #262b33; --code-bg: #12161b; --focus: #7aa7ff; --on-accent: #0b1220;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible { outline: 2px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 8px; top: 8px; background: var(--panel); padding: 4px 8px; z-index: 10; }
.top { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; padding: 10px 20px; background: var(--panel); border-bottom: 1px solid var(--line); position: sticky; top: 0; z-index: 5; }
.brand { font-weight: 700; color: var(--text); text-decoration: none; }
#nav { display: flex; gap: 4px; flex-wrap: wrap; }
#nav a { padding: 6px 10px; border-radius: 6px; text-decoration: none; color: var(--muted); }
#nav a[aria-current="page"] { background: var(--run-bg); color: var(--text); font-weight: 600; }
.live { margin-left: auto; font-size: 13px; color: var(--muted); white-space: nowrap; }
.live.on::before { content: "\\25CF  "; color: var(--ok); }
.live.off::before { content: "\\25CB  "; color: var(--warn); }
main { max-width: 1280px; margin: 0 auto; padding: 20px; }
main:focus { outline: none; }
h1 { font-size: 22px; margin: 0 0 14px; }
h2 { font-size: 17px; margin: 22px 0 10px; }
.muted { color: var(--muted); }
.small { font-size: 13px; }
.mono, code, pre { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 13px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 14px 16px; margin-bottom: 16px; }
.panel > h2:first-child { margin-top: 0; }
.summary { margin-bottom: 12px; }
.row { display: flex; gap: 12px; flex-wrap: wrap; align-items: center; }
.spacer { flex: 1; }
table { width: 100%; border-collapse: collapse; background: var(--panel); border: 1px solid var(--line); border-radius: 10px; overflow: hidden; }
th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); font-weight: 600; background: var(--panel); }
tr:last-child td { border-bottom: none; }
tr.selected td { background: var(--run-bg); }
table.schedules .actions { flex-wrap: nowrap; }
table.schedules .actions button { white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td .sub { display: block; color: var(--muted); font-size: 12px; }
.error-line { color: var(--bad); font-size: 13px; overflow-wrap: anywhere; }
.id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; overflow-wrap: anywhere; }
.badge { display: inline-flex; align-items: center; gap: 5px; padding: 1px 8px 1px 6px; border-radius: 999px; font-size: 12.5px; font-weight: 600; white-space: nowrap; border: 1px solid transparent; }
.badge .icon { font-size: 12px; line-height: 1; }
.state-COMPLETED { color: var(--ok); background: var(--ok-bg); }
.state-FAILED { color: var(--bad); background: var(--bad-bg); border-color: var(--bad); }
.state-RETRYING { color: var(--warn); background: var(--warn-bg); border-style: dashed; border-color: var(--warn); }
.state-PROGRESS { color: var(--run); background: var(--run-bg); }
.state-PENDING { color: var(--wait); background: var(--wait-bg); }
.count-link { text-decoration: none; color: inherit; }
.count-link:hover { text-decoration: underline; }
.zero { color: var(--muted); }
.chart { display: block; width: 100%; max-width: 260px; height: 40px; }
.chart .c { fill: var(--ok); }
.chart .f { fill: var(--bad); }
.chart .axis { stroke: var(--line); stroke-width: 1; }
.rate { font-size: 12px; color: var(--muted); white-space: nowrap; }
.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 10px; align-items: end; }
label { display: flex; flex-direction: column; gap: 3px; font-size: 12px; color: var(--muted); font-weight: 600; }
input, select, textarea { font: inherit; font-size: 14px; color: var(--text); background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 6px 8px; min-height: 34px; }
button, .button { font: inherit; font-size: 14px; border-radius: 6px; border: 1px solid var(--line); background: var(--panel); color: var(--text); padding: 6px 12px; cursor: pointer; min-height: 34px; text-decoration: none; display: inline-flex; align-items: center; gap: 6px; }
button:hover, .button:hover { border-color: var(--accent); }
button.primary { background: var(--accent); border-color: var(--accent); color: var(--on-accent); font-weight: 600; }
button.danger { color: var(--bad); border-color: var(--bad); }
button:disabled { opacity: .5; cursor: not-allowed; }
.pager { display: flex; gap: 8px; align-items: center; margin-top: 12px; flex-wrap: wrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 6px 18px; margin: 0; }
dl.facts dt { color: var(--muted); font-size: 13px; }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
pre { background: var(--code-bg); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; margin: 0; overflow: auto; max-height: 480px; white-space: pre-wrap; overflow-wrap: anywhere; }
pre.error { border-left: 3px solid var(--bad); }
.timeline { list-style: none; margin: 0; padding: 0; display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 10px; }
.timeline li { border-left: 3px solid var(--line); padding: 2px 0 2px 10px; }
.timeline li.done { border-left-color: var(--accent); }
.timeline .when { display: block; font-variant-numeric: tabular-nums; }
.section { margin-bottom: 16px; }
.toasts { position: fixed; right: 16px; bottom: 16px; display: flex; flex-direction: column; gap: 8px; z-index: 20; max-width: min(440px, calc(100vw - 32px)); }
.toast { background: var(--panel); border: 1px solid var(--line); border-left: 4px solid var(--ok); border-radius: 8px; padding: 10px 12px; box-shadow: 0 4px 16px rgba(0,0,0,.18); }
.toast.bad { border-left-color: var(--bad); }
dialog { border: 1px solid var(--line); border-radius: 10px; background: var(--panel); color: var(--text); max-width: min(480px, calc(100vw - 32px)); padding: 18px; }
dialog::backdrop { background: rgba(0,0,0,.45); }
dialog h2 { margin-top: 0; }
.actions { display: flex; gap: 8px; flex-wrap: wrap; }
.notice { padding: 10px 12px; border-radius: 8px; background: var(--warn-bg); color: var(--text); border: 1px solid var(--warn); margin-bottom: 14px; }
.empty { padding: 24px; text-align: center; color: var(--muted); }
.noscript { padding: 20px; }
.legend { display: inline-flex; gap: 12px; font-size: 12px; color: var(--muted); }
.legend .sw { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
.legend .sw.c { background: var(--ok); }
.legend .sw.f { background: var(--bad); }
@media (max-width: 720px) {
  main { padding: 12px; }
  .top { padding: 8px 12px; gap: 8px; }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; width: 100%; }
  table.cards thead { display: none; }
  table.cards { border: none; background: none; }
  table.cards tr { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; margin-bottom: 10px; padding: 6px 0; }
  table.cards td { border: none; padding: 4px 12px; display: flex; gap: 10px; justify-content: space-between; text-align: right; }
  table.cards td::before { content: attr(data-label); color: var(--muted); font-size: 12px; font-weight: 600; text-align: left; flex: none; }
  table.cards td.wide { display: block; text-align: left; }
  table.cards td.wide::before { display: block; margin-bottom: 2px; }
  .chart { max-width: none; }
  dl.facts { grid-template-columns: 1fr; gap: 2px; }
  dl.facts dd { margin-bottom: 8px; }
}
`;
