// Small numeric helpers for the bench harness: median, percentiles, formatting.
'use strict';

function median(xs) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// Linear-interpolated percentile (p in 0..100) over a copy of xs.
function percentile(xs, p) {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return null;
  const idx = (p / 100) * (v.length - 1);
  const lo = Math.floor(idx);
  const hi = Math.ceil(idx);
  return v[lo] + (v[hi] - v[lo]) * (idx - lo);
}

function fmtRate(x) {
  return x == null ? 'n/a' : `${Math.round(x).toLocaleString('en-US')}/s`;
}

function fmtMs(x) {
  if (x == null) return '?';
  return x < 10 ? x.toFixed(1) : String(Math.round(x));
}

module.exports = { median, percentile, fmtRate, fmtMs };
