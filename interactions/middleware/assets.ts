import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Middleware } from 'koa';
import { theme } from '../../views/theme.ts';

const ASSETS_DIR = join(import.meta.dirname, '..', '..', 'views', 'assets');

function themeCss(): string {
  const vars = Object.entries(theme.colors).map(([name, value]) => `--${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${value};`);
  return `:root { ${vars.join(' ')} }\n`;
}

/** The few static files the pages use, read once; no directory listing, no path from the request. */
const ASSETS = new Map<string, { type: string; body: string }>([
  ['/assets/app.css', { type: 'text/css', body: readFileSync(join(ASSETS_DIR, 'app.css'), 'utf8') }],
  ['/assets/logo.svg', { type: 'image/svg+xml', body: readFileSync(join(ASSETS_DIR, 'logo.svg'), 'utf8') }],
  ['/assets/copy_key.js', { type: 'text/javascript', body: readFileSync(join(ASSETS_DIR, 'copy_key.js'), 'utf8') }],
  ['/assets/theme.css', { type: 'text/css', body: themeCss() }],
]);

export const serveAssets: Middleware = async (ctx, next) => {
  const asset = ctx.method === 'GET' || ctx.method === 'HEAD' ? ASSETS.get(ctx.path) : undefined;
  if (!asset) {
    await next();
    return;
  }
  ctx.type = asset.type;
  ctx.set('Cache-Control', 'public, max-age=3600');
  ctx.body = asset.body;
};
