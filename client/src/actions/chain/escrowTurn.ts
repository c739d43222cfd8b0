/** One owner's posts in this process: the turn queue, and the escrow its allowance posts have spoken for. */
export type EscrowTurn = {
  /** Escrow of this process's allowance posts not mined yet. */
  readonly reserved: bigint;
  /** Waits until every allowance post of this process is mined. */
  drain(): Promise<void>;
};

/** What a turn's step answers: its post, or a post from the allowance to start once the turn has reserved its escrow. */
export type TurnStep<T> = (turn: EscrowTurn) => Promise<T | { fromAllowance: () => Promise<T> }>;

/** Runs a step inside a lock another process may hold too (the CLI's lock file per account). */
export type Exclusive = <T>(step: () => Promise<T>) => Promise<T>;

type OwnerTurns = { tail: Promise<unknown>; reserved: bigint; inFlight: Set<Promise<unknown>> };
const escrowTurns = new Map<string, OwnerTurns>();

/**
 * One owner's posts take turns in this process (any client), and across processes too when
 * `exclusive` is given (the turn runs inside it). A turn reads the allowance and nonces afresh and
 * lasts until its post is mined, except a post from an existing allowance in one process: it
 * reserves its escrow and ends the turn at once, so posts from a large allowance still share
 * blocks (the account's transaction nonces are kept apart by sendInTurn). Across processes the
 * reservation is not shared, so there every turn lasts until its post is mined.
 */
export async function inEscrowTurn<T>(key: string, escrow: bigint, exclusive: Exclusive | undefined, step: TurnStep<T>): Promise<T> {
  let o = escrowTurns.get(key);
  if (!o) escrowTurns.set(key, (o = { tail: Promise.resolve(), reserved: 0n, inFlight: new Set() }));
  const owner = o;
  let release!: () => void;
  const previous = owner.tail;
  owner.tail = previous.then(() => new Promise<void>((r) => (release = r)));
  await previous;
  const turn: EscrowTurn = {
    get reserved() {
      return owner.reserved;
    },
    drain: async () => {
      while (owner.inFlight.size) await Promise.all([...owner.inFlight]);
    },
  };
  const post = async (): Promise<T> => {
    const r = await step(turn);
    if (!(r && typeof r === "object" && "fromAllowance" in r)) return r as T;
    owner.reserved += escrow;
    const mined = r.fromAllowance().finally(() => {
      owner.reserved -= escrow;
      owner.inFlight.delete(settled);
    });
    const settled = mined.catch(() => {});
    owner.inFlight.add(settled);
    if (exclusive) return mined; // another process cannot see the reservation: hold its lock until mined
    release();
    return mined;
  };
  try {
    return await (exclusive ? exclusive(post) : post());
  } finally {
    // The owner's entry is kept (a few fields per account): a post still reserving may need it.
    release();
  }
}
