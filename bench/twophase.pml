/*
 * TwoPhase.tla (Lamport, "Consensus on Transaction Commit"; tlaplus/Examples
 * specifications/transaction_commit) in Promela, for `npm run bench`: SPIN 6.5.2 explores the
 * same states faultline's models/twophase does (1,745,408 with 8 RMs), so their wall times
 * compare one to one.
 *
 * One process, one d_step per TLA+ action: each transition is one atomic step of the spec, and
 * the process's control state never changes between them, so SPIN's states are the spec's.
 * msgs only grows, as in the spec: prepMsg[rm], commitMsg and abortMsg say which of its
 * messages were sent. nPrepared is the size of tmPrepared (a function of it: no extra states).
 * TCConsistent is asserted after every step that can commit or abort an RM. Steps that change
 * nothing (TLA+ stutters, such as a second RMRcvCommitMsg) are left out: they add no state.
 *
 *   spin -a -DN=8 bench/twophase.pml && gcc -O2 -DSAFETY -DNOREDUCE -o pan pan.c && ./pan
 */

#ifndef N
#define N 8
#endif

#define WORKING   0
#define PREPARED  1
#define COMMITTED 2
#define ABORTED   3

byte rmState[N];   /* all "working" */
bit tmDone;        /* tmState: 0 "init", 1 "done" */
bit tmPrepared[N];
byte nPrepared;
bit prepMsg[N];    /* [type |-> "Prepared", rm |-> rm] \in msgs */
bit commitMsg;     /* [type |-> "Commit"] \in msgs */
bit abortMsg;      /* [type |-> "Abort"] \in msgs */
hidden byte k;     /* scratch of the TCConsistent check: not part of the state */

/* TCConsistent: no RM committed while another aborted. */
#define CONSISTENT(k) \
  k = 0; \
  do \
  :: k < N && rmState[k] == COMMITTED -> break \
  :: k < N && rmState[k] != COMMITTED -> k++ \
  :: k == N -> break \
  od; \
  if \
  :: k < N -> k = 0; \
     do \
     :: k < N -> assert(rmState[k] != ABORTED); k++ \
     :: k == N -> break \
     od \
  :: else -> skip \
  fi

#define RM(i) \
  /* TMRcvPrepared(rm) */ \
  :: d_step { tmDone == 0 && prepMsg[i] && !tmPrepared[i] -> tmPrepared[i] = 1; nPrepared++ } \
  /* RMPrepare(rm) */ \
  :: d_step { rmState[i] == WORKING -> rmState[i] = PREPARED; prepMsg[i] = 1 } \
  /* RMChooseToAbort(rm) */ \
  :: d_step { rmState[i] == WORKING -> rmState[i] = ABORTED; CONSISTENT(k) } \
  /* RMRcvCommitMsg(rm) */ \
  :: d_step { commitMsg && rmState[i] != COMMITTED -> rmState[i] = COMMITTED; CONSISTENT(k) } \
  /* RMRcvAbortMsg(rm) */ \
  :: d_step { abortMsg && rmState[i] != ABORTED -> rmState[i] = ABORTED; CONSISTENT(k) }

active proctype TwoPhase() {
  /* A state with every RM decided has only stutters left in the spec: a valid end state. */
end:
  do
  /* TMCommit: tmState = "init" /\ tmPrepared = RM */
  :: d_step { tmDone == 0 && nPrepared == N -> tmDone = 1; commitMsg = 1 }
  /* TMAbort */
  :: d_step { tmDone == 0 -> tmDone = 1; abortMsg = 1 }
  RM(0)
#if N > 1
  RM(1)
#endif
#if N > 2
  RM(2)
#endif
#if N > 3
  RM(3)
#endif
#if N > 4
  RM(4)
#endif
#if N > 5
  RM(5)
#endif
#if N > 6
  RM(6)
#endif
#if N > 7
  RM(7)
#endif
#if N > 8
  RM(8)
#endif
#if N > 9
  RM(9)
#endif
  od
}
