/* The C runtime extension: every part in one translation unit. */
#include "runtime.h"
#include "elemwise.c"
#include "blas.c"
#include "reduce.c"
#include "nnet.c"
#include "views.c"
#include "scan.c"
#include "vm.c"
