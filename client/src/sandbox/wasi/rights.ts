/**
 * WASI preview 1 rights (typenames.witx `$rights`), kept as a JS number: all 30 bits fit, and
 * checking them on every call stays cheap. Each descriptor holds base rights (what it may do)
 * and inheriting rights (the most a descriptor opened through it may get).
 */
export const RIGHT = {
  FD_DATASYNC: 1 << 0, FD_READ: 1 << 1, FD_SEEK: 1 << 2, FD_FDSTAT_SET_FLAGS: 1 << 3, FD_SYNC: 1 << 4,
  FD_TELL: 1 << 5, FD_WRITE: 1 << 6, FD_ADVISE: 1 << 7, FD_ALLOCATE: 1 << 8, PATH_CREATE_DIRECTORY: 1 << 9,
  PATH_CREATE_FILE: 1 << 10, PATH_LINK_SOURCE: 1 << 11, PATH_LINK_TARGET: 1 << 12, PATH_OPEN: 1 << 13,
  FD_READDIR: 1 << 14, PATH_READLINK: 1 << 15, PATH_RENAME_SOURCE: 1 << 16, PATH_RENAME_TARGET: 1 << 17,
  PATH_FILESTAT_GET: 1 << 18, PATH_FILESTAT_SET_SIZE: 1 << 19, PATH_FILESTAT_SET_TIMES: 1 << 20,
  FD_FILESTAT_GET: 1 << 21, FD_FILESTAT_SET_SIZE: 1 << 22, FD_FILESTAT_SET_TIMES: 1 << 23, PATH_SYMLINK: 1 << 24,
  PATH_REMOVE_DIRECTORY: 1 << 25, PATH_UNLINK_FILE: 1 << 26, POLL_FD_READWRITE: 1 << 27, SOCK_SHUTDOWN: 1 << 28,
  SOCK_ACCEPT: 1 << 29,
} as const;

const R = RIGHT;
/** Every right a regular file can use. */
export const FILE_RIGHTS = R.FD_DATASYNC | R.FD_READ | R.FD_SEEK | R.FD_FDSTAT_SET_FLAGS | R.FD_SYNC | R.FD_TELL | R.FD_WRITE
  | R.FD_ADVISE | R.FD_ALLOCATE | R.FD_FILESTAT_GET | R.FD_FILESTAT_SET_SIZE | R.FD_FILESTAT_SET_TIMES | R.POLL_FD_READWRITE;
/** The rights that change a file: a file under /input never holds them. */
export const FILE_WRITE_RIGHTS = R.FD_WRITE | R.FD_ALLOCATE | R.FD_FILESTAT_SET_SIZE | R.FD_FILESTAT_SET_TIMES;
/**
 * Every right a directory can use: no reading, writing or seeking of its own bytes. FD_TELL
 * stays: telling a directory's position (always 0) works on Linux, and Rust std does it.
 */
export const DIR_RIGHTS = R.FD_DATASYNC | R.FD_FDSTAT_SET_FLAGS | R.FD_SYNC | R.FD_TELL | R.PATH_CREATE_DIRECTORY | R.PATH_CREATE_FILE
  | R.PATH_LINK_SOURCE | R.PATH_LINK_TARGET | R.PATH_OPEN | R.FD_READDIR | R.PATH_READLINK | R.PATH_RENAME_SOURCE
  | R.PATH_RENAME_TARGET | R.PATH_FILESTAT_GET | R.PATH_FILESTAT_SET_SIZE | R.PATH_FILESTAT_SET_TIMES | R.FD_FILESTAT_GET
  | R.FD_FILESTAT_SET_TIMES | R.PATH_SYMLINK | R.PATH_REMOVE_DIRECTORY | R.PATH_UNLINK_FILE;
/** The rights that change a directory's tree: a directory under /input never holds them. */
export const DIR_WRITE_RIGHTS = R.PATH_CREATE_DIRECTORY | R.PATH_CREATE_FILE | R.PATH_LINK_SOURCE | R.PATH_LINK_TARGET
  | R.PATH_RENAME_SOURCE | R.PATH_RENAME_TARGET | R.PATH_FILESTAT_SET_SIZE | R.PATH_FILESTAT_SET_TIMES
  | R.FD_FILESTAT_SET_TIMES | R.PATH_SYMLINK | R.PATH_REMOVE_DIRECTORY | R.PATH_UNLINK_FILE;
export const WRITE_RIGHTS = FILE_WRITE_RIGHTS | DIR_WRITE_RIGHTS;

const STDIO = R.FD_FDSTAT_SET_FLAGS | R.FD_FILESTAT_GET | R.POLL_FD_READWRITE;
export const STDIN_RIGHTS = STDIO | R.FD_READ;
export const STDOUT_RIGHTS = STDIO | R.FD_WRITE;

/** The most a file (base) or a directory (base, inheriting) in a tree of this writability may hold. */
export function fileRights(writable: boolean): number {
  return writable ? FILE_RIGHTS : FILE_RIGHTS & ~FILE_WRITE_RIGHTS;
}
export function dirRights(writable: boolean): { base: number; inheriting: number } {
  const base = writable ? DIR_RIGHTS : DIR_RIGHTS & ~DIR_WRITE_RIGHTS;
  return { base, inheriting: base | fileRights(writable) };
}

const KNOWN = (1n << 30n) - 1n;
/** A guest's u64 rights as a number; `unknown` is true when it names bits WASI does not define. */
export function rightsFrom(v: bigint): { rights: number; unknown: boolean } {
  const u = BigInt.asUintN(64, v);
  return { rights: Number(u & KNOWN), unknown: (u & ~KNOWN) !== 0n };
}
