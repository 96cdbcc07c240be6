import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CliError, messageOf } from '../errors.js';
import { storeOptionsFromJson } from './json-config.js';
import type { FailoverConfigContext, FailoverConfigResult } from './types.js';

const TS_EXTENSIONS = new Set(['.ts', '.mts', '.cts']);
const JS_EXTENSIONS = new Set(['.mjs', '.js', '.cjs']);

/** Imports a TypeScript config: through tsx when it is installed, else natively (Node 22.18+). */
async function importTypeScript(path: string): Promise<unknown> {
  let tsx: { tsImport(specifier: string, parent: string): Promise<unknown> } | undefined;
  try {
    tsx = (await import('tsx/esm/api')) as typeof tsx;
  } catch {
    tsx = undefined;
  }
  if (tsx) return tsx.tsImport(pathToFileURL(path).href, import.meta.url);
  try {
    return await import(pathToFileURL(path).href);
  } catch (cause) {
    throw new CliError(
      'config',
      `${path}: cannot load a TypeScript config (${messageOf(cause)}); install tsx next to @failover/cli, or use failover.config.mjs`,
      { cause },
    );
  }
}

async function importModule(path: string): Promise<unknown> {
  const ext = extname(path);
  if (TS_EXTENSIONS.has(ext)) return importTypeScript(path);
  if (!JS_EXTENSIONS.has(ext)) {
    throw new CliError(
      'config',
      `${path}: unsupported config type "${ext}" (use .mjs, .js, .cjs, .ts, .mts or .json)`,
    );
  }
  return import(pathToFileURL(path).href);
}

/** The module's default export (ESM `export default`, or CommonJS `module.exports`). */
function defaultExport(mod: unknown): unknown {
  const m = mod as { default?: unknown };
  let value = m.default ?? mod;
  // CommonJS through ESM interop, possibly twice (a .cjs exporting { default }).
  if (typeof value === 'object' && value !== null && 'default' in value && !('targets' in value)) {
    value = (value as { default: unknown }).default;
  }
  return value;
}

/**
 * Loads the config file and evaluates it for `context`: the module's default export (called when it
 * is a function) for JavaScript and TypeScript, the declarative form for JSON. Any failure is a
 * `config` {@link CliError} naming the file.
 */
export async function loadConfig(context: FailoverConfigContext): Promise<FailoverConfigResult> {
  const path = context.configPath;
  if (extname(path) === '.json') {
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path, 'utf8'));
    } catch (cause) {
      throw new CliError('config', `${path}: not valid JSON (${messageOf(cause)})`, { cause });
    }
    try {
      return await storeOptionsFromJson(json, context.env);
    } catch (err) {
      if (err instanceof CliError)
        throw new CliError('config', `${path}: ${err.message}`, { cause: err.cause });
      throw new CliError('config', `${path}: ${messageOf(err)}`, { cause: err });
    }
  }
  let exported: unknown;
  try {
    exported = defaultExport(await importModule(path));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError('config', `${path}: failed to load: ${messageOf(err)}`, { cause: err });
  }
  let result: unknown = exported;
  if (typeof exported === 'function') {
    try {
      result = await (exported as (c: FailoverConfigContext) => unknown)(context);
    } catch (err) {
      throw new CliError('config', `${path}: the config function threw: ${messageOf(err)}`, { cause: err });
    }
  }
  if (typeof result !== 'object' || result === null || !('store' in result || 'targets' in result)) {
    throw new CliError(
      'config',
      `${path}: the default export must be (or return) createMultiCloudStore options ({ targets, ... }) or { store }`,
    );
  }
  return result as FailoverConfigResult;
}
