// `check --github`: GitHub Actions workflow commands for the rows that need a reader's eye.
// An `::error` for each row not as expected (pointing at its saved trace when --save wrote
// one), a `::warning` for each row a bound cut (not verified) and for checks an interrupt kept
// from running. Escaping follows GitHub's rules for workflow commands (actions/toolkit,
// command.ts): in the message % CR LF are %25 %0D %0A; in a property also : and , (%3A %2C).

import type { Check, Outcome } from '../verify/index.ts';
import { classify } from './exit.ts';
import { failureText, rowTitle } from './junit.ts';

export function githubAnnotations(outcomes: readonly Outcome[], notRun: readonly Check[], savedTrace: (o: Outcome) => readonly string[] = () => []): string[] {
  const out: string[] = [];
  for (const o of outcomes) {
    const cls = classify(o);
    if (cls === 'ok') continue;
    const title = `faultline check ${o.check.instance.def.name} ${rowTitle(o.check)}: ${o.verdict}`;
    if (cls === 'not-verified') {
      out.push(command('warning', { title }, `${o.verdict}: a bound cut the search, so the expected outcome could not be established`));
      continue;
    }
    const file = savedTrace(o)[0];
    out.push(command('error', { ...(file === undefined ? {} : { file }), title }, failureText(o, savedTrace(o))));
  }
  if (notRun.length > 0) {
    out.push(command('warning', { title: 'faultline check: interrupted' }, `${notRun.length} checks did not run: ${notRun.map((c) => `${c.instance.def.name} ${rowTitle(c)}`).join(', ')}`));
  }
  return out;
}

export function command(name: 'error' | 'warning', properties: Readonly<Record<string, string>>, message: string): string {
  const props = Object.entries(properties).map(([k, v]) => `${k}=${escapeProperty(v)}`).join(',');
  return `::${name}${props === '' ? '' : ` ${props}`}::${escapeData(message)}`;
}

export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
