# Every third-party package, found once, here, from Debian's -dev packages (deploy/install-deps.sh).
# Found at the top level, their targets are visible in every folder. Packages with a CMake
# package file are found with find_package(); the C libraries that ship only a pkg-config file
# (c-ares, libmaxminddb, SQLite, libcap, cpp-httplib) with pkg-config, as IMPORTED targets
# PkgConfig::<name>.
# ncurses is found with CMake's FindCurses (its pkg-config file would add -D_XOPEN_SOURCE=600 to
# every dependent) and wrapped as the target pathpair_curses.
find_package(Threads REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(absl CONFIG REQUIRED)
find_package(GTest CONFIG REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(benchmark CONFIG QUIET)  # benchmarks are built when it is there
find_package(Python3 COMPONENTS Interpreter REQUIRED)  # integration tests
# HMAC of one-way packets and the controller's session keys (libssl-dev; gRPC links it anyway).
find_package(OpenSSL REQUIRED)

find_package(PkgConfig REQUIRED)
pkg_check_modules(cares REQUIRED IMPORTED_TARGET libcares)
pkg_check_modules(maxminddb REQUIRED IMPORTED_TARGET libmaxminddb)
pkg_check_modules(sqlite3 REQUIRED IMPORTED_TARGET sqlite3)
# The fleet store on PostgreSQL (controller/history): libpqxx, and libpq for its URL parser.
pkg_check_modules(libpqxx REQUIRED IMPORTED_TARGET libpqxx)
pkg_check_modules(libpq REQUIRED IMPORTED_TARGET libpq)
pkg_check_modules(libcap REQUIRED IMPORTED_TARGET libcap)
pkg_check_modules(cpp-httplib REQUIRED IMPORTED_TARGET cpp-httplib)  # the agent's /metrics
pkg_check_modules(yaml-cpp REQUIRED IMPORTED_TARGET yaml-cpp)  # pathpair serve's config

set(CURSES_NEED_NCURSES TRUE)
find_package(Curses REQUIRED)
add_library(pathpair_curses INTERFACE)
target_include_directories(pathpair_curses SYSTEM INTERFACE ${CURSES_INCLUDE_DIRS})
target_link_libraries(pathpair_curses INTERFACE ${CURSES_LIBRARIES})
