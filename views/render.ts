import ejs from 'ejs';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from 'koa';
import { theme } from './theme.ts';

const VIEWS_DIR = import.meta.dirname;

type Template = (data: Record<string, unknown>) => string;

/** Compiles every template once at startup: rendering is then a function call, and a typo fails fast. */
function compileAll(): Map<string, Template> {
  const templates = new Map<string, Template>();
  for (const file of readdirSync(VIEWS_DIR).filter((f) => f.endsWith('.ejs'))) {
    const filename = join(VIEWS_DIR, file);
    const fn = ejs.compile(readFileSync(filename, 'utf8'), { filename, async: false });
    templates.set(file.replace(/\.ejs$/, ''), (data) => fn(data));
  }
  return templates;
}

const templates = compileAll();

export interface PageOptions {
  status?: number;
  title: string;
}

/** Renders `views/<name>.ejs` inside the layout and sends it as the response. */
export function renderPage(ctx: Context, name: string, options: PageOptions, data: Record<string, unknown> = {}): void {
  const page = templates.get(name);
  const layout = templates.get('layout');
  if (!page || !layout) throw new Error(`unknown view ${name}`);
  const locals = { theme, title: options.title, ...data };
  ctx.status = options.status ?? 200;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = layout({ ...locals, body: page(locals) });
}
