// The registry of every model the `faultline` command and `check --all` know.

import type { ModelDefinition } from '../src/core/model.ts';
import { InputError } from '../src/core/model.ts';
import { tCommitDefinition } from './tcommit/index.ts';
import { twoPhaseDefinition } from './twophase/index.ts';
import { paxosCommitDefinition } from './paxoscommit/index.ts';
import { twoPcDefinition } from './twopc/index.ts';
import { threePcDefinition } from './threepc/index.ts';
import { paxosDefinition } from './paxos/index.ts';
import { paxosTlaDefinition } from './paxos-tla/index.ts';
import { primaryBackupDefinition } from './primary-backup/index.ts';
import { leaseDefinition } from './lease/index.ts';
import { zookeeperSessionDefinition } from './zookeeper-session/index.ts';
import { gossipDefinition } from './gossip/index.ts';
import { cacheClusterDefinition } from './cache-cluster/index.ts';
import { raftDefinition } from './raft/index.ts';
import { zabDefinition } from './zab/index.ts';
import { zookeeperDefinition } from './zookeeper/ensemble/index.ts';
import { zookeeperRecipesDefinition } from './zookeeper/recipes/index.ts';

export const models: readonly ModelDefinition[] = [
  tCommitDefinition,
  twoPhaseDefinition,
  paxosCommitDefinition,
  twoPcDefinition,
  threePcDefinition,
  paxosDefinition,
  paxosTlaDefinition,
  primaryBackupDefinition,
  leaseDefinition,
  zookeeperSessionDefinition,
  gossipDefinition,
  cacheClusterDefinition,
  raftDefinition,
  zabDefinition,
  zookeeperDefinition,
  zookeeperRecipesDefinition,
];

export function findModel(name: string): ModelDefinition {
  const def = models.find((m) => m.name === name);
  if (def === undefined) {
    throw new InputError(`unknown model '${name}' (models: ${models.map((m) => m.name).join(', ')})`);
  }
  return def;
}
