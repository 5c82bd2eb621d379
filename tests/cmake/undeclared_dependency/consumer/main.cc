#include "alpha/alpha.h"

int main() { return alpha::Answer() == 42 ? 0 : 1; }
