// The model a command works on: `<model> [--variant V] [--param K=V ...]`, built by the verify
// layer.

import { InputError } from '../core/model.ts';
import { findModel, instantiate, type Instance } from '../verify/index.ts';
import { parseParams } from './args.ts';

export const targetOptions = {
  variant: { type: 'string' },
  param: { type: 'string', multiple: true },
} as const;

export function target(positionals: readonly string[], variant: string | undefined, params: readonly string[] | undefined, command: string): Instance {
  if (positionals.length !== 1) throw new InputError(`${command} takes one model name`);
  return instantiate(findModel(positionals[0]), variant, parseParams(params));
}

export function describeTarget(t: Instance): string {
  return `${t.def.name} --variant ${t.variant.name}`;
}
