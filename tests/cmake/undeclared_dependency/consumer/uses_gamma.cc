#include "gamma/gamma.h"

int UsesGamma() { return gamma_module::kAnswer; }
