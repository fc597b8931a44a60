// The only place a model is built from (definition, variant, params). Params resolve in one
// order everywhere: the model's defaults, then the variant's own params, then what was given
// (a scenario's params, or --param). The CLI, check --all, fast-check runners, trace replay,
// tests and benchmarks all come through here, so they cannot disagree on a model's params.

import type { AnyCompleteModel, ModelDefinition, Params, VariantSpec } from '../core/model.ts';
import { findVariant, resolveParams, withDefaults } from '../core/model.ts';

/** A model built and completed (every optional hook defaulted), with what it was built from. */
export interface Instance {
  readonly def: ModelDefinition;
  readonly variant: VariantSpec;
  readonly params: Params;
  readonly model: AnyCompleteModel;
}

/** Builds `def` for `variant` (default: the first, faithful one) with `given` params on top of
 * the variant's own and the model's defaults. Unknown variants and bad params are InputErrors
 * that name the valid choices. */
export function instantiate(def: ModelDefinition, variant?: string, given: Readonly<Record<string, number>> = {}): Instance {
  const v = findVariant(def, variant ?? def.variants[0].name);
  const params = resolveParams(def, { ...(v.params ?? {}), ...given });
  return { def, variant: v, params, model: withDefaults(def.create(params, v.name)) };
}
