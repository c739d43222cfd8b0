/** WASI preview 1 constants the in-memory host uses (values from wasi-libc's wasi/api.h). */
export const ERRNO = {
  SUCCESS: 0, ACCES: 2, BADF: 8, EXIST: 20, FAULT: 21, FBIG: 22, INVAL: 28, IO: 29, ISDIR: 31, MFILE: 33,
  NAMETOOLONG: 37, NOENT: 44, NOSYS: 52, NOTDIR: 54, NOTEMPTY: 55, NOTSOCK: 57, NOTSUP: 58,
  OVERFLOW: 61, PERM: 63, ROFS: 69, SPIPE: 70, NOTCAPABLE: 76,
} as const;

export const FILETYPE = { UNKNOWN: 0, CHARACTER_DEVICE: 2, DIRECTORY: 3, REGULAR_FILE: 4 } as const;
export const OFLAGS = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;
export const FDFLAGS = { APPEND: 1, DSYNC: 2, NONBLOCK: 4, RSYNC: 8, SYNC: 16, ALL: 31 } as const;
export const FSTFLAGS = { ATIM: 1, ATIM_NOW: 2, MTIM: 4, MTIM_NOW: 8, ALL: 15 } as const;
export const WHENCE = { SET: 0, CUR: 1, END: 2 } as const;
export const CLOCKS = 4; // realtime, monotonic, process cputime, thread cputime
export const ADVICE_COUNT = 6; // normal .. noreuse
export const EVENTTYPE = { CLOCK: 0, FD_READ: 1, FD_WRITE: 2 } as const;
export const PREOPENTYPE_DIR = 0;
