// A header-only module, for the undeclared-dependency check (tests/cmake).
#ifndef TESTS_CMAKE_UNDECLARED_DEPENDENCY_GAMMA_GAMMA_H_
#define TESTS_CMAKE_UNDECLARED_DEPENDENCY_GAMMA_GAMMA_H_

namespace gamma_module {
constexpr int kAnswer = 42;
}  // namespace gamma_module

#endif  // TESTS_CMAKE_UNDECLARED_DEPENDENCY_GAMMA_GAMMA_H_
