// The ZooKeeper recipes (zookeeper.apache.org/doc/current/recipes.html, and Curator's
// implementations of them), model-checked against the ZooKeeper service with client crashes,
// connection loss and session expiry: a lock with fencing, master election, a queue, a
// barrier, configuration publish/subscribe, group membership, a naming service and a service
// registry. Each recipe is a param value (`recipe`), each planted bug a variant.
//
// The service is one linearizable data tree (models/zookeeper's reducer): the ensemble model
// (`zookeeper`) checks that ZAB replication gives ZooKeeper's guarantees — linearizable writes,
// a client's requests in order, watch events before the data that follows them, atomic
// session expiry — which is all a recipe relies on (service.ts says how).
//
// Rows of check --all and what their bounds leave out (every row exhausts in seconds):
// - the lock, two clients with a partition, a crash and two sessions each (`default`); three
//   clients with a crash and one session each (`lock-three-clients`: a waiter's predecessor can
//   be a waiter whose session expired), and with a partition instead (`lock-three-clients-
//   partition`). Left out: three clients with both faults or two sessions each, more than one
//   acquisition per client and session.
// - election with three candidates; barrier, membership, naming with two clients; config with
//   the publisher and two subscribers; each with a partition, a crash and two sessions per
//   client. The queue with one producer of two items and one consumer, and with two consumers
//   and a crash only (with a partition too, more than two million states); the registry with
//   two servers and two routers, a crash or a partition (both together: 644,532 states, 37 s).
// - everywhere: one partition and one crash per run, a session timeout of one tick, a crashed
//   client never restarting, reads never lost before reaching the server (a partition before
//   the read is the same run), a connected client's session never expiring.

import type { AnyModel, ModelDefinition, Params, VariantSpec } from '../../../src/core/model.ts';
import { InputError } from '../../../src/core/model.ts';
import { barrierRecipe } from './barrier.ts';
import { configRecipe } from './config.ts';
import { electionRecipe } from './election.ts';
import { lockRecipe } from './lock.ts';
import { membershipRecipe } from './membership.ts';
import { namingRecipe } from './naming.ts';
import { queueRecipe } from './queue.ts';
import { registryRecipe } from './registry.ts';
import { Service, type Bounds, type Recipe, type RecipeAction, type RecipeState, type ServiceView } from './service.ts';

export const RECIPES = ['lock', 'election', 'queue', 'barrier', 'config', 'membership', 'naming', 'registry'] as const;
export type RecipeName = (typeof RECIPES)[number];
const recipeIndex = (name: RecipeName) => RECIPES.indexOf(name);

/** Three lock clients with a crash (no partition, one session each): the bounds under which a
 * waiter's predecessor can be another waiter whose session expired. */
const LOCK_THREE = { clients: 3, partitionsMax: 0, crashesMax: 1, connectsMax: 1 } as const;
/** The registry with a server crash and no partition (the partition row is its own scenario:
 * both faults together are 644,532 states, 37 s). */
const REGISTRY_CRASH = { partitionsMax: 0, crashesMax: 1 } as const;

/** Each variant belongs to one recipe; the faithful `default` runs whichever recipe is chosen. */
interface RecipeVariant extends VariantSpec {
  readonly recipe: RecipeName | undefined;
}

const variants: readonly RecipeVariant[] = [
  {
    name: 'default',
    recipe: undefined,
    description: 'each recipe as the ZooKeeper recipes page and Curator write it (recipe 0: the lock with fencing tokens)',
    expect: { status: 'holds' },
  },
  {
    name: 'lock-expired-holder',
    recipe: 'lock',
    description: 'the naive claim that at most one client believes it holds the lock: a holder cut off from the service keeps believing after its session expired and the next client acquired (fencing still protects the resource)',
    expect: { status: 'violation', property: 'OneBelievedHolder' },
    params: { recipe: recipeIndex('lock') },
  },
  {
    name: 'lock-unfenced',
    recipe: 'lock',
    description: 'the resource takes no fencing token: a holder whose session expired writes after the next holder read, and an increment is lost',
    expect: { status: 'violation', property: 'NoLostUpdate' },
    params: { recipe: recipeIndex('lock') },
  },
  {
    name: 'lock-herd',
    recipe: 'lock',
    description: 'bug: every waiter watches the children of /lock, so a release wakes all of them (herd effect)',
    expect: { status: 'violation', property: 'NoHerdEffect' },
    // Two waiters are needed to see a herd; no fault is.
    params: { recipe: recipeIndex('lock'), clients: 3, partitionsMax: 0, crashesMax: 0 },
  },
  {
    name: 'lock-no-recheck',
    recipe: 'lock',
    description: "bug: a waiter takes its predecessor's deletion as the lock without listing /lock again; the predecessor was a waiter whose session expired",
    expect: { status: 'violation', property: 'MutualExclusion' },
    // A holder, a waiter whose session expires (a crash), and the waiter behind it.
    params: { recipe: recipeIndex('lock'), ...LOCK_THREE },
  },
  {
    name: 'election-owner-unchecked',
    recipe: 'election',
    description: "bug: after a ConnectionLoss on its create, a candidate that finds /master takes it as its own without comparing the node's ephemeralOwner with its session",
    expect: { status: 'violation', property: 'OneMasterPerEpoch', also: ['OneLiveMaster', 'MasterOwnsNode'] },
    params: { recipe: recipeIndex('election') },
  },
  {
    name: 'queue-plain-delete',
    recipe: 'queue',
    description: 'bug: a consumer takes an item with a plain delete and, after a ConnectionLoss, assumes the delete did not happen: the item is gone and nobody has it',
    expect: { status: 'violation', property: 'NothingLost' },
    params: { recipe: recipeIndex('queue') },
  },
  {
    name: 'queue-assume-taken',
    recipe: 'queue',
    description: 'bug: after a ConnectionLoss on its take, a consumer assumes the take applied; when the request was lost the item stays queued and is delivered again',
    expect: { status: 'violation', property: 'DeliveredOnce' },
    params: { recipe: recipeIndex('queue') },
  },
  {
    name: 'barrier-counts-self-twice',
    recipe: 'barrier',
    description: 'bug: a client counts itself once more than /barrier lists it and opens the barrier one entrant early',
    expect: { status: 'violation', property: 'NobodyPassesEarly' },
    params: { recipe: recipeIndex('barrier') },
  },
  {
    name: 'config-no-rewatch',
    recipe: 'config',
    description: 'bug: a subscriber re-reads /config after an event without setting a new watch, and settles on a stale version',
    expect: { status: 'violation', property: 'SettledOnLatest' },
    params: { recipe: recipeIndex('config') },
  },
  {
    name: 'membership-persistent',
    recipe: 'membership',
    description: 'bug: members join with a persistent node, which stays listed after the member\'s session expired',
    expect: { status: 'violation', property: 'MembersAreLiveSessions' },
    params: { recipe: recipeIndex('membership') },
  },
  {
    name: 'naming-child-count',
    recipe: 'naming',
    description: "bug (in the server: TreeBugs.sequenceFromChildCount): the sequence suffix is the parent's number of children, so a name is handed out again after a release",
    expect: { status: 'violation', property: 'NamesUnique' },
    params: { recipe: recipeIndex('naming') },
  },
  {
    name: 'registry-no-repick',
    recipe: 'registry',
    description: 'bug: a router lists /services once and ignores the watch event, so it stays routed to a server whose session expired',
    expect: { status: 'violation', property: 'NoDeadRoute', also: ['LoadSpread'] },
    params: { recipe: recipeIndex('registry'), ...REGISTRY_CRASH },
  },
];

export const RECIPE_DEFAULTS = { recipe: 0, clients: 2, partitionsMax: 1, crashesMax: 1, connectsMax: 2, sessionTimeout: 1 } as const;

function recipeOf(params: Params, variant: string, view: ServiceView): Recipe<unknown, unknown> {
  const name = RECIPES[params.recipe];
  const v = variants.find((x) => x.name === variant);
  if (v === undefined) throw new InputError(`zookeeper-recipes has no variant '${variant}' (variants: ${variants.map((x) => x.name).join(', ')})`);
  if (v.recipe !== undefined && v.recipe !== name) throw new InputError(`variant '${variant}' is a bug of the ${v.recipe} recipe (recipe=${recipeIndex(v.recipe)}), not of ${name} (recipe=${params.recipe})`);
  const n = params.clients;
  const bounds = boundsOf(params);
  switch (name) {
    case 'lock':
      return lockRecipe(n, bounds, { fencing: variant !== 'lock-unfenced', herd: variant === 'lock-herd', noRecheck: variant === 'lock-no-recheck', naiveClaim: variant === 'lock-expired-holder' }) as Recipe<unknown, unknown>;
    case 'election':
      return electionRecipe(n, { ownerUnchecked: variant === 'election-owner-unchecked' }) as Recipe<unknown, unknown>;
    case 'queue':
      return queueRecipe(n, { plainDelete: variant === 'queue-plain-delete', assumeTaken: variant === 'queue-assume-taken' }, view) as Recipe<unknown, unknown>;
    case 'barrier':
      return barrierRecipe(n, { countsSelfTwice: variant === 'barrier-counts-self-twice' }) as Recipe<unknown, unknown>;
    case 'config':
      return configRecipe(n, { noRewatch: variant === 'config-no-rewatch' }, view) as Recipe<unknown, unknown>;
    case 'membership':
      return membershipRecipe(n, { persistent: variant === 'membership-persistent' }, view) as Recipe<unknown, unknown>;
    case 'naming':
      return { ...(namingRecipe(n) as Recipe<unknown, unknown>), bugs: variant === 'naming-child-count' ? { sequenceFromChildCount: true } : {} };
    case 'registry':
      return registryRecipe(REGISTRY_SERVERS, n, { noRepick: variant === 'registry-no-repick' }, view) as Recipe<unknown, unknown>;
  }
}

const boundsOf = (params: Params): Bounds => ({
  partitionsMax: params.partitionsMax,
  crashesMax: params.crashesMax,
  connectsMax: params.connectsMax,
  sessionTimeout: params.sessionTimeout,
});

/** The registry recipe's servers (its `clients` are the routers). */
export const REGISTRY_SERVERS = 2;

export function zookeeperRecipes(params: Params, variant = 'default'): AnyModel {
  // The recipe's settled-state properties ask the service, built after the recipe.
  let service: Service<unknown, unknown> | undefined;
  const view: ServiceView = { settled: (s) => service!.settled(s) };
  const recipe = recipeOf(params, variant, view);
  service = new Service(recipe, boundsOf(params));
  type S = RecipeState<unknown, unknown>;
  const built = service;
  return {
    init: [built.init()],
    actions: (s: S) => built.actions(s),
    step: (s: S, a: RecipeAction) => built.step(s, a),
    invariants: recipe.invariants,
    sometimes: recipe.witnesses,
    describe: (a: RecipeAction) => built.describe(a),
    isFault: (a: RecipeAction) => built.isFault(a),
    isFinal: (s: S) => built.isFinal(s),
  };
}

export const zookeeperRecipesDefinition: ModelDefinition = {
  name: 'zookeeper-recipes',
  summary: 'ZooKeeper recipes (lock, election, queue, barrier, config, membership, naming, registry) with client crashes, connection loss and session expiry',
  source: "ZooKeeper recipes and solutions (zookeeper.apache.org/doc/current/recipes.html); Apache Curator recipes; Kleppmann, 'How to do distributed locking' (2016)",
  params: [
    { name: 'recipe', description: `the recipe: ${RECIPES.map((r, i) => `${i} ${r}`).join(', ')}`, default: RECIPE_DEFAULTS.recipe, min: 0, max: RECIPES.length - 1 },
    { name: 'clients', description: 'clients of the recipe: the participants; for the queue the producer and the consumers, for config the publisher and the subscribers, for the registry the routers (beside two servers)', default: RECIPE_DEFAULTS.clients, min: 1, max: 4 },
    { name: 'partitionsMax', description: 'connection losses in a run (a reply lost, or a write lost before it reached the server)', default: RECIPE_DEFAULTS.partitionsMax, min: 0, max: 3 },
    { name: 'crashesMax', description: 'client crashes in a run (a crashed client never comes back; its session expires)', default: RECIPE_DEFAULTS.crashesMax, min: 0, max: 3 },
    { name: 'connectsMax', description: 'sessions per client, the first one included (a client whose session expired starts over on a new one)', default: RECIPE_DEFAULTS.connectsMax, min: 1, max: 3 },
    { name: 'sessionTimeout', description: 'ticks a disconnected or crashed client\'s session stays silent before the server may expire it', default: RECIPE_DEFAULTS.sessionTimeout, min: 1, max: 3 },
  ],
  variants,
  scenarios: [
    {
      kind: 'safety',
      name: 'lock-three-clients',
      description: 'the lock with a holder and two waiters and a client crash (its session expires): a release or an expiry wakes one waiter at most, one live holder at a time',
      params: { recipe: recipeIndex('lock'), ...LOCK_THREE },
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'lock-three-clients-partition',
      description: 'the lock with three clients and a partition instead of the crash: a create whose reply is lost, a holder cut off until its session expires while two others wait',
      params: { recipe: recipeIndex('lock'), ...LOCK_THREE, partitionsMax: 1, crashesMax: 0 },
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'election',
      description: 'master election with three candidates, a partition, a crash and two sessions per client',
      params: { recipe: recipeIndex('election'), clients: 3 },
      expect: { status: 'holds' },
    },
    ...(['queue', 'barrier', 'membership', 'naming'] as const).map((r) => ({
      kind: 'safety' as const,
      name: r,
      description: `the ${r} recipe, two clients, a partition, a crash and two sessions per client`,
      params: { recipe: recipeIndex(r) },
      expect: { status: 'holds' as const },
    })),
    {
      kind: 'safety',
      name: 'queue-two-consumers',
      description: 'the queue with two consumers racing for the items and a crash (no partition: with both, more than two million states)',
      params: { recipe: recipeIndex('queue'), clients: 3, partitionsMax: 0 },
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'config',
      description: 'configuration publish/subscribe: the publisher and two subscribers, a partition, a crash and two sessions per client',
      params: { recipe: recipeIndex('config'), clients: 3 },
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'registry',
      description: 'the service registry: two servers and two routers, a crash (a server\'s session expires)',
      params: { recipe: recipeIndex('registry'), ...REGISTRY_CRASH },
      expect: { status: 'holds' },
    },
    {
      kind: 'safety',
      name: 'registry-partition',
      description: 'the service registry: two servers and two routers, a partition (a server cut off until its session expires, or a router cut off)',
      params: { recipe: recipeIndex('registry'), crashesMax: 0 },
      expect: { status: 'holds' },
    },
  ],
  create: (params, variant) => zookeeperRecipes(params, variant),
};
