// The verify layer: the only place a check is built (model + variant + params) and judged
// against its expectation. The CLI, tests and benchmarks call these functions.

export { instantiate, type Instance } from './instantiate.ts';
export {
  checkAll, checksOf, findScenario, judge, runCheck, runCheckAsync, scenarioCheck, summarise, variantCheck,
  type Check, type CheckKind, type EngineResult, type Finding, type Outcome, type Row, type Summary,
} from './check.ts';
export { buildRegistered, builderFor, findModel, models } from './registry.ts';
