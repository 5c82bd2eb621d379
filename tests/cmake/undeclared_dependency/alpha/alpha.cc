#include "alpha/alpha.h"

namespace alpha {
int Answer() { return 42; }
}  // namespace alpha
