import type { Context } from 'koa';
import { renderHtml } from '../views/templates.ts';

export interface PageOptions {
  status?: number;
  title: string;
}

/** Renders a page (views/templates.ts) and sends it, never cached: pages carry one sign-in's state. */
export function renderPage(ctx: Context, name: string, options: PageOptions, data: Record<string, unknown> = {}): void {
  ctx.status = options.status ?? 200;
  ctx.type = 'html';
  ctx.set('Cache-Control', 'no-store');
  ctx.body = renderHtml(name, options.title, data);
}
