// Exactly-once application of client requests, for any replicated service whose clients retry
// (actors.ts: a retry carries the same (client, seq)). A server keeps, per client, the sequence
// number of the last request it applied and that request's result, as Viewstamped Replication's
// client table does (Liskov & Cowling, "Viewstamped Replication Revisited", 2012, §4) and as the
// Raft thesis prescribes (Ongaro 2014, §6.3): a request already applied is answered from the
// table instead of being applied again. Clients issue one request at a time, so one entry per
// client is enough. Replicated state machines keep the table in their replicated state, so a
// new leader knows what the old one applied.

export interface ClientRecord<R> {
  readonly client: number;
  readonly seq: number;
  readonly result: R;
}

/** One record per client that has had a request applied, sorted by client. */
export type ClientTable<R> = readonly ClientRecord<R>[];

/** What the table says about request (client, seq): `new` — apply it; `duplicate` — it was
 * applied, answer with its result; `stale` — the client has since issued a later request, so
 * this is an old retry still in flight: neither apply nor answer it. */
export type Seen<R> = { readonly kind: 'new' } | { readonly kind: 'duplicate'; readonly result: R } | { readonly kind: 'stale' };

export function seen<R>(table: ClientTable<R>, client: number, seq: number): Seen<R> {
  const record = table.find((r) => r.client === client);
  if (record === undefined || seq > record.seq) return { kind: 'new' };
  if (seq === record.seq) return { kind: 'duplicate', result: record.result };
  return { kind: 'stale' };
}

/** The table after applying (client, seq) with `result`. Asserts that the request is new: an
 * application the table says is a duplicate is the bug this table exists to prevent. */
export function remember<R>(table: ClientTable<R>, client: number, seq: number, result: R): ClientTable<R> {
  const at = table.findIndex((r) => r.client >= client);
  const record = { client, seq, result };
  if (at < 0) return [...table, record];
  const old = table[at];
  if (old.client !== client) return [...table.slice(0, at), record, ...table.slice(at)];
  if (seq <= old.seq) throw new Error(`client ${client}'s request ${seq} applied again (the table has applied ${old.seq})`);
  return [...table.slice(0, at), record, ...table.slice(at + 1)];
}

/** A client's request as a replicated log holds it. */
export interface ClientRequest<Op> {
  readonly client: number;
  readonly seq: number;
  readonly op: Op;
}

export interface Applied<S, R> {
  readonly state: S;
  /** Per log position: the request's result (a duplicate's is the recorded one); undefined for a
   * stale duplicate or a position that holds no request. */
  readonly results: readonly (R | undefined)[];
  readonly table: ClientTable<R>;
  /** The requests that took effect, in order (a request twice here was applied twice). */
  readonly applied: readonly { readonly client: number; readonly seq: number }[];
}

/** A replicated state machine's log applied in order, each (client, seq) at most once: a
 * request the table has seen is answered from it and not applied again. `undefined` entries
 * (a leader's no-op) are skipped. With `dedup` false every request is applied (the planted bug
 * "no client table"); the table still records the first application. */
export function applyOnce<S, Op, R>(
  initial: S,
  log: readonly (ClientRequest<Op> | undefined)[],
  apply: (state: S, op: Op) => { readonly state: S; readonly result: R },
  dedup = true,
): Applied<S, R> {
  let state = initial;
  let table: ClientTable<R> = [];
  const results: (R | undefined)[] = [];
  const applied: { client: number; seq: number }[] = [];
  for (const e of log) {
    if (e === undefined) {
      results.push(undefined);
      continue;
    }
    const s = seen(table, e.client, e.seq);
    if (dedup && s.kind !== 'new') {
      results.push(s.kind === 'duplicate' ? s.result : undefined);
      continue;
    }
    const next = apply(state, e.op);
    state = next.state;
    if (s.kind === 'new') table = remember(table, e.client, e.seq, next.result);
    applied.push({ client: e.client, seq: e.seq });
    results.push(next.result);
  }
  return { state, results, table, applied };
}
