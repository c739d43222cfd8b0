/**
 * Every function of wasi_snapshot_preview1 and its core signature ("i" = i32, "I" = i64;
 * params, then "→", then results). All of them are implemented (see host.ts); the ones a
 * sandbox cannot honour (sockets, links) return a fixed errno.
 */
export const WASI_MODULE = "wasi_snapshot_preview1";

export const WASI_SIGNATURES: Record<string, string> = {
  args_get: "ii→i", args_sizes_get: "ii→i", environ_get: "ii→i", environ_sizes_get: "ii→i",
  clock_res_get: "ii→i", clock_time_get: "iIi→i",
  fd_advise: "iIIi→i", fd_allocate: "iII→i", fd_close: "i→i", fd_datasync: "i→i",
  fd_fdstat_get: "ii→i", fd_fdstat_set_flags: "ii→i", fd_fdstat_set_rights: "iII→i",
  fd_filestat_get: "ii→i", fd_filestat_set_size: "iI→i", fd_filestat_set_times: "iIIi→i",
  fd_pread: "iiiIi→i", fd_prestat_get: "ii→i", fd_prestat_dir_name: "iii→i", fd_pwrite: "iiiIi→i",
  fd_read: "iiii→i", fd_readdir: "iiiIi→i", fd_renumber: "ii→i", fd_seek: "iIii→i",
  fd_sync: "i→i", fd_tell: "ii→i", fd_write: "iiii→i",
  path_create_directory: "iii→i", path_filestat_get: "iiiii→i", path_filestat_set_times: "iiiiIIi→i",
  path_link: "iiiiiii→i", path_open: "iiiiiIIii→i", path_readlink: "iiiiii→i",
  path_remove_directory: "iii→i", path_rename: "iiiiii→i", path_symlink: "iiiii→i",
  path_unlink_file: "iii→i", poll_oneoff: "iiii→i", proc_exit: "i→", proc_raise: "i→i",
  sched_yield: "→i", random_get: "ii→i",
  sock_accept: "iii→i", sock_recv: "iiiiii→i", sock_send: "iiiii→i", sock_shutdown: "ii→i",
};

const CODES: Record<number, string> = { 0x7f: "i", 0x7e: "I", 0x7d: "f", 0x7c: "F", 0x7b: "v", 0x70: "r", 0x6f: "x" };

export function signatureOf(params: number[], results: number[]): string {
  return `${params.map((t) => CODES[t] ?? "?").join("")}→${results.map((t) => CODES[t] ?? "?").join("")}`;
}
