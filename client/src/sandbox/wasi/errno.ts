/** WASI preview 1 constants the in-memory host uses (values from wasi-libc's wasi/api.h). */
export const ERRNO = {
  SUCCESS: 0, ACCES: 2, BADF: 8, EXIST: 20, FAULT: 21, INVAL: 28, IO: 29, ISDIR: 31,
  NAMETOOLONG: 37, NOENT: 44, NOSYS: 52, NOTDIR: 54, NOTEMPTY: 55, NOTSUP: 58, OVERFLOW: 61,
  PERM: 63, ROFS: 69, SPIPE: 70, NOTCAPABLE: 76,
} as const;

export const FILETYPE = { UNKNOWN: 0, CHARACTER_DEVICE: 2, DIRECTORY: 3, REGULAR_FILE: 4 } as const;
export const OFLAGS = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;
export const FDFLAGS = { APPEND: 1 } as const;
export const RIGHTS = { FD_READ: 1n << 1n, FD_WRITE: 1n << 6n, ALL: (1n << 30n) - 1n } as const;
export const WHENCE = { SET: 0, CUR: 1, END: 2 } as const;
export const CLOCKS = 4; // realtime, monotonic, process cputime, thread cputime
export const EVENTTYPE = { CLOCK: 0, FD_READ: 1, FD_WRITE: 2 } as const;
