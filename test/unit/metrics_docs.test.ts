import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { createMetrics } from '../../lib/metrics.ts';

/**
 * The operator's documents name metrics by string: these checks keep them true to the registry, so
 * a renamed metric cannot leave a dashboard panel empty or an alert silently never firing.
 */
const DOCS = join(import.meta.dirname, '..', '..', 'docs');
const METRIC_NAME = /\b(?:idp|process|nodejs)_[a-z0-9_]+\b/g;
const HISTOGRAM_SERIES = /_(?:bucket|sum|count)$/;

const registered = new Set(
  createMetrics({ mailQueueStats: () => Promise.resolve({ depth: 0, oldestQueuedAtMs: undefined }) })
    .registry.getMetricsAsArray()
    .map((metric) => metric.name),
);

/** A series name as a query writes it, back to its metric: a histogram's _bucket, _sum and _count. */
function metricOf(series: string): string {
  return registered.has(series) ? series : series.replace(HISTOGRAM_SERIES, '');
}

/** Every `expr` anywhere in a parsed JSON or YAML document. */
function expressions(node: unknown): string[] {
  if (Array.isArray(node)) return node.flatMap(expressions);
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) => (key === 'expr' && typeof value === 'string' ? [value] : expressions(value)));
}

function metricsIn(exprs: readonly string[]): Set<string> {
  return new Set(exprs.flatMap((expr) => [...expr.matchAll(METRIC_NAME)].map((m) => metricOf(m[0]))));
}

describe('the metrics documents', () => {
  it('the Grafana dashboard parses and queries only metrics the app registers', () => {
    const dashboard: unknown = JSON.parse(readFileSync(join(DOCS, 'grafana-dashboard.json'), 'utf8'));
    const exprs = expressions(dashboard);
    assert.ok(exprs.length >= 20, `${exprs.length} queries`);
    const used = metricsIn(exprs);
    assert.ok(used.size >= 15, [...used].join(', '));
    for (const name of used) assert.ok(registered.has(name), `the dashboard queries ${name}, which the app does not register`);
  });

  it('the alert rules parse, each has a name, an expression and a severity, and use only registered metrics', () => {
    const rules = load(readFileSync(join(DOCS, 'alerts.yml'), 'utf8'));
    const exprs = expressions(rules);
    assert.ok(exprs.length >= 4);
    const names = JSON.stringify(rules);
    for (const alert of ['IdpLockoutSpike', 'IdpSmsConversionDrop', 'IdpMailBacklogOld', 'IdpHigh5xxRate']) assert.ok(names.includes(`"${alert}"`), alert);
    assert.equal((names.match(/"severity":/g) ?? []).length, exprs.length, 'a severity per rule');
    for (const name of metricsIn(exprs)) assert.ok(registered.has(name), `an alert uses ${name}, which the app does not register`);
  });

  it('docs/metrics.md describes every idp_ metric, and no other', () => {
    const page = readFileSync(join(DOCS, 'metrics.md'), 'utf8');
    const documented = new Set([...page.matchAll(/`(idp_[a-z0-9_]+)/g)].map((m) => metricOf(m[1]!)));
    const ours = [...registered].filter((name) => name.startsWith('idp_'));
    assert.deepEqual(ours.filter((name) => !documented.has(name)), [], 'registered but not documented');
    assert.deepEqual([...documented].filter((name) => !registered.has(name)), [], 'documented but not registered');
  });
});
