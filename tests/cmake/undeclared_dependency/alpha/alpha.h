// A module with a library, for the undeclared-dependency check (tests/cmake).
#ifndef TESTS_CMAKE_UNDECLARED_DEPENDENCY_ALPHA_ALPHA_H_
#define TESTS_CMAKE_UNDECLARED_DEPENDENCY_ALPHA_ALPHA_H_

namespace alpha {
int Answer();
}  // namespace alpha

#endif  // TESTS_CMAKE_UNDECLARED_DEPENDENCY_ALPHA_ALPHA_H_
