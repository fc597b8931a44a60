// Verdicts of a history check remembered per history, for the history invariants
// (invariant.ts): most steps of a model leave its recorded history as it was, and many runs
// reach the same history in different orders, so the checker need run once per distinct
// history (issue 10). A verdict is a function of the history alone — the spec is deterministic
// and states are immutable plain data — so remembering it changes no result, only the time.

import { canonicalJson } from '../core/data.ts';

/** The fields of an event that the checkers read (`historyFromEvents`); others, such as the
 * node an actor system records, are ignored. */
export interface EventFields {
  readonly kind: string;
  readonly client: number;
  readonly op?: unknown;
  readonly result?: unknown;
}

/** What the invariant answers for one history: undefined when it holds, else its message. */
export type Answer = string | undefined;

interface Known {
  readonly answer: Answer;
}

/** One UTF-16 code unit per event in a structural key. */
export const EVENTS_NUMBERED_MAX = 0x10000;

/** Verdicts by history. Each invariant owns one (nothing is module-level, so separate models
 * share nothing; one model explored twice reuses its verdicts, which are the same anyway).
 *
 * Two layers. First the history array itself: a step that does not touch the history shares
 * its parent's array, so `===` is the common hit; a WeakMap holds nothing the search dropped.
 * Then an exact structural key, for a history reached again along another path, in at most
 * `entriesMax` entries (rounded up to an even number) kept in two generations: when the young
 * one is full the old one is dropped and the young one becomes old, and a hit in the old one
 * moves to the young one, so what goes first is what was not used for longest (an LRU in
 * O(1), without deleting a Map's first entry one at a time, which V8 makes slower the more
 * holes the Map has).
 *
 * The structural key is short: each distinct event is numbered, and a history's key has one
 * UTF-16 code unit per event (keys made of the events' text made the worst case of
 * bench/history-invariant.ts, where most steps change the history, slower than no memo).
 * Histories that extend one another share their event objects, so each is numbered once (a
 * WeakMap again). After `eventsMax` (65,536) distinct events the numbering starts over, and
 * the keys built with it are forgotten with it.
 *
 * Bounded: the two Maps of keys hold at most `entriesMax` entries and the numbering at most
 * `eventsMax`; the WeakMaps hold an entry only while the search itself holds its array or
 * event. Identity is safe because states are immutable (`Model.step` never mutates). */
export class VerdictMemo {
  private readonly byArray = new WeakMap<readonly EventFields[], Known>();
  private young = new Map<string, Known>();
  private old = new Map<string, Known>();
  private readonly generationMax: number;
  private eventIds = new Map<string, number>();
  /** Counts the times the numbering started over. */
  private numbering = 0;
  private idOfEvent = new WeakMap<EventFields, number>();

  constructor(
    entriesMax: number,
    private readonly eventsMax = EVENTS_NUMBERED_MAX,
  ) {
    if (!(Number.isInteger(entriesMax) && entriesMax >= 1)) throw new Error(`VerdictMemo: entriesMax must be a positive integer, got ${entriesMax}`);
    if (!(Number.isInteger(eventsMax) && eventsMax >= 1 && eventsMax <= EVENTS_NUMBERED_MAX)) {
      throw new Error(`VerdictMemo: eventsMax must be an integer from 1 to ${EVENTS_NUMBERED_MAX}, got ${eventsMax}`);
    }
    this.generationMax = Math.ceil(entriesMax / 2);
  }

  /** `judge(events)`, remembered. When `judge` throws (the checker gave up), nothing is. */
  answer<E extends EventFields>(events: readonly E[], judge: (events: readonly E[]) => Answer): Answer {
    let known = this.byArray.get(events);
    if (known === undefined) {
      const key = this.keyOf(events);
      if (key === undefined) return judge(events);
      known = this.young.get(key);
      if (known === undefined) {
        known = this.old.get(key) ?? { answer: judge(events) };
        this.remember(key, known);
      }
      this.byArray.set(events, known);
    }
    return known.answer;
  }

  private remember(key: string, known: Known): void {
    if (this.young.size >= this.generationMax) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, known);
  }

  /** Undefined only for a history with more distinct events than a key can number. */
  private keyOf(events: readonly EventFields[]): string | undefined {
    // A key begun before the numbering started over mixes two numberings: build it again.
    for (let attempt = 0; attempt < 2; attempt++) {
      const numbering = this.numbering;
      let key = '';
      for (const e of events) key += String.fromCharCode(this.idOf(e));
      if (numbering === this.numbering) return key;
    }
    return undefined;
  }

  private idOf(e: EventFields): number {
    const known = this.idOfEvent.get(e);
    if (known !== undefined) return known;
    const text = eventText(e);
    let id = this.eventIds.get(text);
    if (id === undefined) {
      if (this.eventIds.size === this.eventsMax) this.renumber();
      id = this.eventIds.size;
      this.eventIds.set(text, id);
    }
    this.idOfEvent.set(e, id);
    return id;
  }

  /** Numbers are about to be reused: forget every key that was built with them. */
  private renumber(): void {
    this.numbering++;
    this.eventIds = new Map();
    this.idOfEvent = new WeakMap();
    this.young = new Map();
    this.old = new Map();
  }
}

/** An event as the checkers see it. Exact, not a hash, so equal keys mean equal verdicts;
 * values are compared by canonical JSON, the plain-data convention of the checkers' own memo
 * (`stateKey`). */
function eventText(e: EventFields): string {
  return `${e.kind} ${e.client} ${'op' in e ? canonicalJson(e.op) : ''} ${'result' in e ? canonicalJson(e.result) : ''}`;
}
