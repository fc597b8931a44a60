// `faultline new <name>`: scaffolds models/<name>/index.ts (a small working actor model, see
// new-template.ts), properties/<name>.test.ts, and the model's registration in models/index.ts
// (an import and an entry in `models`), so that `faultline check <name>` passes right after.
// Everything is checked before anything is written; a write that fails takes back what was
// written before it, so a refused or failed run leaves the repository as it was.

import { accessSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { InputError } from '../core/model.ts';
import { MODEL_TEMPLATE, TEST_TEMPLATE, fillTemplate, identifierOf } from './new-template.ts';

const NAME = /^[a-z][a-z0-9-]*$/;
/** The repository this faultline runs from: the registry it loads is the one to extend. */
const ROOT = resolve(import.meta.dirname, '..', '..');

export async function newCommand(argv: readonly string[]): Promise<number> {
  const { positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: {} });
  if (positionals.length !== 1) throw new InputError('usage: faultline new <name>');
  const created = scaffold(ROOT, positionals[0], await registeredNames());
  for (const file of created) console.log(file === 'models/index.ts' ? `registered in ${file}` : `created ${file}`);
  console.log(`next: npx faultline check ${positionals[0]}; npx vitest run properties/${positionals[0]}.test.ts`);
  return 0;
}

async function registeredNames(): Promise<readonly string[]> {
  const { models } = await import('../../models/index.ts');
  return models.map((m) => m.name);
}

/** Writes the model, its test and its registration under `root`; returns the paths written
 * (relative to root). Throws an InputError, having written nothing, when the name is not
 * usable or a target is not writable. */
export function scaffold(root: string, name: string, registered: readonly string[]): string[] {
  const paths = targets(root, name);
  if (registered.includes(name)) throw new InputError(`a model named '${name}' is already registered in models/index.ts`);
  const registeredIndex = register(readFileSync(paths.index, 'utf8'), name);
  const written: string[] = [];
  try {
    mkdirSync(paths.dir);
    written.push(paths.dir);
    writeFileSync(paths.model, fillTemplate(MODEL_TEMPLATE, name), { flag: 'wx' });
    writeFileSync(paths.test, fillTemplate(TEST_TEMPLATE, name), { flag: 'wx' });
    written.push(paths.test);
    writeFileSync(paths.index, registeredIndex);
  } catch (e) {
    for (const p of written.reverse()) rmSync(p, { recursive: true, force: true });
    throw new InputError(`cannot write the scaffold for '${name}': ${(e as Error).message} (nothing was left behind)`);
  }
  return [paths.model, paths.test, paths.index].map((p) => relative(root, p));
}

function targets(root: string, name: string) {
  if (!NAME.test(name)) throw new InputError(`model name '${name}' is not a lowercase identifier ([a-z][a-z0-9-]*)`);
  const models = join(root, 'models');
  const paths = {
    dir: join(models, name),
    model: join(models, name, 'index.ts'),
    test: join(root, 'properties', `${name}.test.ts`),
    index: join(models, 'index.ts'),
  };
  if (existsSync(paths.dir)) throw new InputError(`models/${name} already exists`);
  if (existsSync(paths.test)) throw new InputError(`properties/${name}.test.ts already exists`);
  for (const p of [models, join(root, 'properties'), paths.index]) {
    try {
      accessSync(p, constants.W_OK);
    } catch {
      throw new InputError(`cannot write ${relative(root, p) || p}: not writable`);
    }
  }
  return paths;
}

/** models/index.ts with the model's import after the last model import and its definition at
 * the end of the `models` array. */
export function register(index: string, name: string): string {
  const ident = `${identifierOf(name)}Definition`;
  if (new RegExp(`\\b${ident}\\b`).test(index)) {
    throw new InputError(`models/index.ts already has an identifier ${ident} (the name '${name}' is too close to a registered one)`);
  }
  const lines = index.split('\n');
  const lastImport = lines.findLastIndex((l) => /^import \{ \w+ \} from '\.\/[^']+\/index\.ts';$/.test(l));
  const start = lines.findIndex((l) => /^export const models\b.*= \[$/.test(l));
  const end = start < 0 ? -1 : lines.findIndex((l, i) => i > start && l === '];');
  if (lastImport < 0 || end < 0) {
    throw new InputError('models/index.ts does not have the layout faultline new edits (model imports, then `export const models ... = [` ... `];`)');
  }
  lines.splice(end, 0, `  ${ident},`);
  lines.splice(lastImport + 1, 0, `import { ${ident} } from './${name}/index.ts';`);
  return lines.join('\n');
}
