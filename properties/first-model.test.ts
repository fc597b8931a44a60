// docs/first-model.md cannot rot: its TypeScript snippets are written to the files they name,
// its commands are run in order and its output excerpts are looked for in what they print, in
// a temporary copy of the repository (so the real models/index.ts is never touched), and the
// files are type-checked. `faultline new` is run there too: the scaffold checks, its test
// passes, and bad names are refused with one line and exit code 2, leaving nothing behind.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { InputError } from '../src/core/model.ts';
import { register, scaffold } from '../src/cli/new.ts';

const REPO = join(import.meta.dirname, '..');
const GUIDE = readFileSync(join(REPO, 'docs', 'first-model.md'), 'utf8');
const COPIED = ['src', 'models', 'properties', 'traces', 'package.json', 'tsconfig.json', 'vitest.config.ts'];

interface Block {
  readonly lang: string;
  readonly body: string;
  /** `<!-- registration: NAME -->` before the block: the lines to add to models/index.ts. */
  readonly registers?: string;
}

function blocks(markdown: string): Block[] {
  return [...markdown.matchAll(/(?:<!-- registration: ([a-z][a-z0-9-]*) -->\n)?```(\w+)\n([\s\S]*?)```/g)].map((m) => ({
    lang: m[2],
    body: m[3],
    ...(m[1] !== undefined ? { registers: m[1] } : {}),
  }));
}

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command line of the guide (`npx faultline ...`, `npx vitest ...`) in `cwd`. */
function run(cwd: string, line: string): Ran {
  const [npx, tool, ...args] = line.trim().split(/\s+/);
  expect(npx, `a command of the guide starts with npx: ${line}`).toBe('npx');
  const argv = tool === 'faultline' ? [join(cwd, 'src', 'cli', 'faultline.js'), ...args] : [join(cwd, 'node_modules', '.bin', tool), ...args];
  const r = tool === 'faultline' ? spawnSync(process.execPath, argv, { cwd, encoding: 'utf8', timeout: 60_000 }) : spawnSync(argv[0], argv.slice(1), { cwd, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every non-blank line of `excerpt` appears, trimmed, in one line of `output`. */
function expectExcerpt(output: string, excerpt: string, what: string): void {
  const lines = output.split('\n');
  for (const want of excerpt.split('\n').map((l) => l.trim()).filter((l) => l !== '')) {
    expect(lines.some((l) => l.includes(want)), `${what} prints "${want}"; it printed:\n${output}`).toBe(true);
  }
}

let copy: string;

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'faultline-first-model-'));
  for (const entry of COPIED) cpSync(join(REPO, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(REPO, 'node_modules'), join(copy, 'node_modules'), 'dir');
});

afterAll(() => {
  if (copy !== undefined) rmSync(copy, { recursive: true, force: true });
});

describe('docs/first-model.md, run in a temporary copy of the repository', () => {
  it('every snippet compiles and every command prints what the guide says', () => {
    const written = new Set<string>();
    let last: { line: string; out: Ran } | undefined;
    for (const block of blocks(GUIDE)) {
      if (block.registers !== undefined) {
        const index = join(copy, 'models', 'index.ts');
        const before = readFileSync(index, 'utf8');
        const after = register(before, block.registers);
        const added = after.split('\n').filter((l) => !before.split('\n').includes(l));
        expect(block.body.trimEnd().split('\n'), 'the registration lines are the ones faultline new adds').toEqual(added);
        writeFileSync(index, after);
      } else if (block.lang === 'ts') {
        const file = /^\/\/ file: (\S+)\n/.exec(block.body);
        expect(file, `a ts snippet names its file on its first line:\n${block.body}`).not.toBeNull();
        const path = join(copy, file![1]);
        mkdirSync(dirname(path), { recursive: true });
        appendFileSync(path, block.body.slice(file![0].length) + '\n');
        written.add(file![1]);
      } else if (block.lang === 'sh') {
        for (const line of block.body.split('\n').filter((l) => l.trim() !== '')) {
          const out = run(copy, line);
          expect(out.code, `${line} exits 0; it printed:\n${out.stdout}${out.stderr}`).toBe(0);
          last = { line, out };
        }
      } else if (block.lang === 'text') {
        expect(last, 'an output excerpt follows a command').toBeDefined();
        expectExcerpt(last!.out.stdout, block.body, last!.line);
      }
    }
    expect([...written].sort()).toEqual(['models/lock/index.ts', 'properties/lock.test.ts']);
    // The guide's commands ran with tsx, which does not type-check: tsc does, on the files the
    // guide wrote and the ones `faultline new demo` wrote.
    const include = [...written, 'models/demo/index.ts', 'properties/demo.test.ts'];
    writeFileSync(join(copy, 'tsconfig.guide.json'), JSON.stringify({ extends: './tsconfig.json', include }));
    const tsc = spawnSync(join(copy, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', 'tsconfig.guide.json'], { cwd: copy, encoding: 'utf8', timeout: 60_000 });
    expect(tsc.status, tsc.stdout).toBe(0);
  });

  it('the guide runs `faultline new demo` and `faultline check demo`, and the scaffold\'s bug, check --all row and test pass too', () => {
    const commands = blocks(GUIDE).filter((b) => b.lang === 'sh').flatMap((b) => b.body.split('\n').map((l) => l.trim()));
    expect(commands).toEqual(expect.arrayContaining(['npx faultline new demo', 'npx faultline check demo']));
    const bug = run(copy, 'npx faultline check demo --variant grant-when-held');
    expect(bug.code).toBe(0);
    expect(bug.stdout).toContain('violation of MutualExclusion (expected), 6 steps');
    const all = run(copy, 'npx faultline check --all --only demo --jobs 1');
    expect(all.code, all.stdout).toBe(0);
    expect(all.stdout).toContain('3 checks, 3 as expected');
    const test = run(copy, 'npx vitest run properties/demo.test.ts');
    expect(test.code, test.stdout).toBe(0);
  });

  it('faultline new refuses a name that is not a lowercase identifier, is taken, or is too close to a registered one, with one line and exit code 2, and writes nothing', () => {
    const index = readFileSync(join(copy, 'models', 'index.ts'), 'utf8');
    const cases: [string, RegExp][] = [
      ['Demo', /^faultline: model name 'Demo' is not a lowercase identifier/],
      ['my_lock', /not a lowercase identifier/],
      ['1lock', /not a lowercase identifier/],
      ['demo', /^faultline: models\/demo already exists\n$/],
      ['two-pc', /already has an identifier twoPcDefinition/],
    ];
    for (const [name, message] of cases) {
      const r = run(copy, `npx faultline new ${name}`);
      expect([r.code, r.stdout]).toEqual([2, '']);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(message);
    }
    expect(existsSync(join(copy, 'models', 'two-pc'))).toBe(false);
    expect(readFileSync(join(copy, 'models', 'index.ts'), 'utf8')).toBe(index);
  });

  it('faultline new refuses a registered name and an unwritable target, and a write that fails takes back what was written', () => {
    const index = readFileSync(join(copy, 'models', 'index.ts'), 'utf8');
    expect(() => scaffold(copy, 'ghost', ['ghost'])).toThrow(new InputError("a model named 'ghost' is already registered in models/index.ts"));
    // `properties` is a file: the model directory is written first, then taken back.
    renameSync(join(copy, 'properties'), join(copy, 'properties.moved'));
    writeFileSync(join(copy, 'properties'), '');
    try {
      const r = run(copy, 'npx faultline new other');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^faultline: cannot write the scaffold for 'other': .* \(nothing was left behind\)\n$/);
    } finally {
      rmSync(join(copy, 'properties'));
      renameSync(join(copy, 'properties.moved'), join(copy, 'properties'));
    }
    expect(existsSync(join(copy, 'models', 'other'))).toBe(false);
    expect(readFileSync(join(copy, 'models', 'index.ts'), 'utf8')).toBe(index);
  });
});
