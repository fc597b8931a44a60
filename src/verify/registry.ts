// The registered models (models/index.ts) as the verify layer serves them: by name, and as
// the builder trace replay uses, so a replayed trace gets its model the way a check does.

import { findModel, models } from '../../models/index.ts';
import type { ModelDefinition } from '../core/model.ts';
import type { ModelBuilder } from '../trace/trace.ts';
import { instantiate } from './instantiate.ts';

export { findModel, models };

/** A trace-replay builder over any lookup of definitions (tests add their own toy models). */
export function builderFor(find: (name: string) => ModelDefinition): ModelBuilder {
  return (model, variant, params) => instantiate(find(model), variant, params).model;
}

/** Builds the registered model a trace names. */
export const buildRegistered: ModelBuilder = builderFor(findModel);
