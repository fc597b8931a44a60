// The configurations `npm run bench` compares between the object path (structural fingerprints,
// a frontier of objects: every model without a schema) and the packed path (a schema's codec).

import type { AnyModel } from '../src/core/model.ts';
import { resolveParams } from '../src/core/model.ts';
import { twoPhase } from '../models/twophase/index.ts';
import { twoPcDefinition } from '../models/twopc/index.ts';

export interface ComparisonConfig {
  readonly name: string;
  readonly build: () => AnyModel;
  /** RMs of the Promela TwoPhase SPIN runs for the same states, if any. */
  readonly spinRms?: number;
  /** Also run with --symmetry. */
  readonly symmetry?: boolean;
}

export const comparisonConfigs: readonly ComparisonConfig[] = [
  { name: 'twophase-7', build: () => twoPhase(7), spinRms: 7 },
  { name: 'twophase-8', build: () => twoPhase(8), spinRms: 8, symmetry: true },
  { name: 'twophase-9', build: () => twoPhase(9), spinRms: 9 },
  { name: 'twopc', build: () => twoPcDefinition.create(resolveParams(twoPcDefinition, {}), 'default'), symmetry: true },
];

/** A configuration's model by name: what a worker thread of a parallel search calls. */
export function buildConfig(name: string): AnyModel {
  const config = comparisonConfigs.find((c) => c.name === name);
  if (config === undefined) throw new Error(`no bench configuration ${name}`);
  return config.build();
}
