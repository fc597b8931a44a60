// `check --junit FILE`: the outcomes as JUnit XML, the format CI systems render as test results.
// One <testsuite> per model and one <testcase> per row (classname = model, name = the row as
// the table names it); a row not as expected is a <failure> whose text is the full report of the
// check with its counterexample (a message sequence chart for actor systems); a model that threw
// or a worker that died is an <error>; a row cut by a bound (not verified) or never run
// (Ctrl-C) is <skipped>. The exit code follows the same classes (exit.ts).

import type { Check, Outcome } from '../verify/index.ts';
import { classify } from './exit.ts';
import { renderCheck } from './report.ts';

/** How to run one row again, for the failure text. */
export function rerunCommand(c: Check): string {
  const params = Object.entries(c.instance.params).map(([k, v]) => ` --param ${k}=${v}`).join('');
  return c.row.kind === 'scenario'
    ? `npx faultline check ${c.instance.def.name} --scenario ${c.row.name}`
    : `npx faultline check ${c.instance.def.name} --variant ${c.row.name}${params}`;
}

/** The row's name as the check --all table shows it. */
export function rowTitle(c: Check): string {
  return c.row.kind === 'scenario' ? `${c.kind}: ${c.row.name}` : c.row.name;
}

interface Case {
  readonly check: Check;
  readonly seconds: number;
  /** The element inside the testcase, if any. */
  readonly body: string;
  readonly kind: 'ok' | 'failure' | 'error' | 'skipped';
}

/** The JUnit report of `outcomes`, with `notRun` (rows an interrupt kept from running) as
 * skipped; `savedTrace` names the file a finding's trace was saved to, when it was. */
export function junitReport(outcomes: readonly Outcome[], notRun: readonly Check[], savedTrace: (o: Outcome) => readonly string[] = () => []): string {
  const cases: Case[] = [
    ...outcomes.map((o) => caseOf(o, savedTrace(o))),
    ...notRun.map((check): Case => ({ check, seconds: 0, kind: 'skipped', body: `<skipped message="not run: the run was interrupted before this check"/>` })),
  ];
  const models = [...new Set(cases.map((c) => c.check.instance.def.name))];
  const suites = models.map((model) => suite(model, cases.filter((c) => c.check.instance.def.name === model)));
  const head = `<testsuites name="faultline check"${counts(cases)}>`;
  return ['<?xml version="1.0" encoding="UTF-8"?>', head, ...suites, '</testsuites>', ''].join('\n');
}

function suite(model: string, cases: readonly Case[]): string {
  const lines = [`  <testsuite name="${attr(model)}"${counts(cases)}>`];
  for (const c of cases) {
    const open = `    <testcase classname="${attr(model)}" name="${attr(rowTitle(c.check))}" time="${c.seconds.toFixed(3)}"`;
    lines.push(c.body === '' ? `${open}/>` : `${open}>\n      ${c.body}\n    </testcase>`);
  }
  lines.push('  </testsuite>');
  return lines.join('\n');
}

function counts(cases: readonly Case[]): string {
  const n = (kind: Case['kind']) => cases.filter((c) => c.kind === kind).length;
  const time = cases.reduce((t, c) => t + c.seconds, 0);
  return ` tests="${cases.length}" failures="${n('failure')}" errors="${n('error')}" skipped="${n('skipped')}" time="${time.toFixed(3)}"`;
}

function caseOf(o: Outcome, saved: readonly string[]): Case {
  const seconds = o.summary.elapsedMs / 1000;
  const cls = classify(o);
  if (cls === 'ok') return { check: o.check, seconds, kind: 'ok', body: '' };
  if (cls === 'not-verified') {
    return { check: o.check, seconds, kind: 'skipped', body: `<skipped message="${attr(o.verdict)}"/>` };
  }
  const kind = o.result.kind === 'error' ? 'error' : 'failure';
  const text = failureText(o, saved);
  return { check: o.check, seconds, kind, body: `<${kind} message="${attr(o.verdict)}" type="${kind === 'error' ? 'error' : 'unexpected outcome'}">${xmlText(text)}</${kind}>` };
}

/** What a reader of a failed row needs: the report with the counterexample, and how to get it
 * again. */
export function failureText(o: Outcome, saved: readonly string[]): string {
  const chart = o.check.instance.model.nodeIds !== undefined;
  const lines = [renderCheck(o, chart), '', `run it again: ${rerunCommand(o.check)}`];
  for (const f of saved) lines.push(`saved trace ${f}; replay it: npx faultline replay ${f}`);
  return lines.join('\n');
}

/** Characters XML 1.0 does not allow at all (control characters, lone surrogates), and terminal
 * colour codes, which would be noise in a CI page. */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

function clean(text: string): string {
  return text.replace(ANSI, '').replace(NOT_XML, '\uFFFD');
}

export function xmlText(text: string): string {
  return clean(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An attribute value: quotes escaped, and line breaks and tabs as character references (a
 * parser would turn them into spaces). */
export function attr(text: string): string {
  return xmlText(text).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}
