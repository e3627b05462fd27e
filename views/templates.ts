import ejs from 'ejs';
import { readdirSync, readFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { theme } from './theme.ts';

const VIEWS_DIR = import.meta.dirname;

type Template = (data: Record<string, unknown>) => string;

function compile(filename: string): Template {
  const fn = ejs.compile(readFileSync(filename, 'utf8'), { filename, async: false });
  return (data) => fn(data);
}

/**
 * Compiles every template under views/ once at startup, named by its path without `.ejs`
 * (`mfa_enroll/mfa_required`): rendering is then a function call, and a typo fails fast.
 */
function compileAll(): Map<string, Template> {
  const templates = new Map<string, Template>();
  for (const entry of readdirSync(VIEWS_DIR, { recursive: true, encoding: 'utf8' })) {
    if (entry.endsWith('.ejs')) templates.set(relative(VIEWS_DIR, join(VIEWS_DIR, entry)).replace(/\.ejs$/, ''), compile(join(VIEWS_DIR, entry)));
  }
  return templates;
}

const templates = compileAll();

/** A method's templates live in its own folder and are named by absolute path; compiled on first use. */
function templateNamed(name: string): Template {
  const known = templates.get(name);
  if (known) return known;
  if (!isAbsolute(name)) throw new Error(`unknown view ${name}`);
  const compiled = compile(`${name}.ejs`);
  templates.set(name, compiled);
  return compiled;
}

/** A whole page: the template `name` inside the layout. */
export function renderHtml(name: string, title: string, data: Record<string, unknown> = {}): string {
  const page = templateNamed(name);
  const locals = { theme, title, ...data };
  return templateNamed('layout')({ ...locals, body: page(locals) });
}
