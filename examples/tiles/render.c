// One tile of a Mandelbrot picture, as a PPM (P6) on stdout: the unit of work of the tiled
// renderer example (examples/tiles/README.md). Integer fixed-point math only, so every provider
// computes the same bytes: no float rounding mode or NaN payload can make two honest runs differ.
//
// usage: render [--size N] [--tiles T] [--iterations I] <tile index>   (options in any order)
//   The picture is N x N pixels cut into T x T tiles; tile i is column i % T, row i / T.
//   The PPM header carries "# accord-tile X Y N", the tile's place in the picture, so the
//   assembler needs nothing but the tiles.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAC 24 /* Q7.24: |z|^2 up to 4 fits, and so do the products before the shift */
#define ONE ((int64_t)1 << FRAC)

static long arg(int argc, char **argv, const char *name, long fallback) {
  for (int i = 1; i + 1 < argc; i++)
    if (strcmp(argv[i], name) == 0) return strtol(argv[i + 1], NULL, 10);
  return fallback;
}

/* A smooth palette from the escape count alone: deep blue through white to orange. */
static void colour(int n, int max, unsigned char *px) {
  if (n >= max) {
    px[0] = px[1] = px[2] = 0;
    return;
  }
  int t = (n * 1024) / max; /* 0..1023 */
  int u = (t * 7) % 1024;   /* bands repeat so the edge stays detailed */
  px[0] = (unsigned char)(u < 512 ? u / 4 : 255 - (u - 512) / 8);
  px[1] = (unsigned char)(u < 512 ? u / 3 : 170 - (u - 512) / 6);
  px[2] = (unsigned char)(u < 256 ? 100 + u / 2 : u < 768 ? 228 - (u - 256) / 4 : 100 - (u - 768) / 8);
}

/* The one argument that is neither an option nor an option's value, or NULL. */
static const char *positional(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strncmp(argv[i], "--", 2) == 0) i++;
    else return argv[i];
  }
  return NULL;
}

int main(int argc, char **argv) {
  const char *tile = positional(argc, argv);
  char *end;
  long index = tile ? strtol(tile, &end, 10) : -1;
  if (!tile || *end != '\0') {
    fprintf(stderr, "usage: render [--size N] [--tiles T] [--iterations I] <tile index>\n");
    return 2;
  }
  long size = arg(argc, argv, "--size", 512);
  long tiles = arg(argc, argv, "--tiles", 8);
  long max = arg(argc, argv, "--iterations", 256);
  if (size <= 0 || tiles <= 0 || size % tiles != 0 || index < 0 || index >= tiles * tiles || max <= 0) {
    fprintf(stderr, "bad arguments: size %ld must be a multiple of tiles %ld, and the index %ld below %ld\n", size, tiles, index, tiles * tiles);
    return 2;
  }
  long side = size / tiles;
  long x0 = (index % tiles) * side, y0 = (index / tiles) * side;
  /* The view: real part -2.2 .. 0.8, imaginary -1.5 .. 1.5, in fixed point. */
  int64_t left = -22 * ONE / 10, top = 15 * ONE / 10, span = 3 * ONE;
  unsigned char *pixels = malloc((size_t)(side * side * 3));
  if (!pixels) return 3;
  for (long y = 0; y < side; y++) {
    int64_t ci = top - span * (y0 + y) / size;
    for (long x = 0; x < side; x++) {
      int64_t cr = left + span * (x0 + x) / size;
      int64_t zr = 0, zi = 0;
      int n = 0;
      while (n < max) {
        int64_t zr2 = (zr * zr) >> FRAC, zi2 = (zi * zi) >> FRAC;
        if (zr2 + zi2 > 4 * ONE) break;
        zi = ((2 * zr * zi) >> FRAC) + ci;
        zr = zr2 - zi2 + cr;
        n++;
      }
      colour(n, (int)max, pixels + (y * side + x) * 3);
    }
  }
  printf("P6\n# accord-tile %ld %ld %ld\n%ld %ld\n255\n", x0, y0, size, side, side);
  fwrite(pixels, 1, (size_t)(side * side * 3), stdout);
  return 0;
}
