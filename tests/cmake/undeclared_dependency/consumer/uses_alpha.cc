#include "alpha/alpha.h"

int UsesAlpha() { return alpha::Answer(); }
