/**
 * What `accord` exits with, so scripts can tell outcomes apart without parsing text. Apart from
 * exitCodes.ts (which maps errors to these and so loads every error class) so that the program
 * itself can name them without loading anything.
 */
export const EXIT = {
  OK: 0,
  /** Anything not foreseen below. */
  ERROR: 1,
  /** Bad flags, files or configuration: nothing was sent. */
  USAGE: 2,
  /** The chain or the network could not be reached. */
  UNAVAILABLE: 3,
  /** The contract refused the transaction (or the balance cannot cover it). */
  REFUSED: 4,
  /** The job expired without enough bids. */
  NO_BIDS: 5,
  /** The job ended without consensus, failed, or was cancelled. */
  JOB_FAILED: 6,
  /** No agreeing provider served a result that matches the consensus. */
  RESULT_UNAVAILABLE: 7,
  /** The wait timed out; the job goes on. */
  TIMEOUT: 8,
  /** Interrupted (Ctrl-C); the job goes on. */
  INTERRUPTED: 130,
} as const;
