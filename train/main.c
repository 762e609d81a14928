/*
 * kuzat-train -- train calibrated per-marker models from labelled text.
 *
 * Option parsing and printing only. Training itself (features, libsvm,
 * calibration, the model file) is not in this version yet: this program
 * says so instead of pretending.
 */
#include "kuzat.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "Usage: kuzat-train [OPTION]... -o MODEL DATA...\n"
    "Train a calibrated model per marker from labelled TSV, JSON Lines or\n"
    "fastText-format data.\n"
    "\n"
    "This version of kuzat does not train yet: only the normaliser is built\n"
    "(see kuzat-classify --normalize).\n"
    "\n"
    "  -h, --help     show this help\n"
    "      --version  show the version\n";

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
      fputs(usage, stdout);
      return 0;
    }
    if (strcmp(argv[i], "--version") == 0) {
      printf("kuzat-train %s\n", kuzat_version());
      return 0;
    }
  }
  fprintf(stderr, "kuzat-train: training is not in this version of kuzat yet\n"
                  "Try 'kuzat-train --help' for more information.\n");
  return 2;
}
