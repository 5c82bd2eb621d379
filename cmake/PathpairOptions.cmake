# Compiler flags shared by every pathpair target. Applied through the interface library
# pathpair_build_options so that generated code (protobuf) can opt out of -Werror.
add_library(pathpair_build_options INTERFACE)
target_compile_options(pathpair_build_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wformat=2
  -Wimplicit-fallthrough -Wno-missing-field-initializers)
if(PATHPAIR_WERROR)
  target_compile_options(pathpair_build_options INTERFACE -Werror)
endif()

if(PATHPAIR_SANITIZE)
  # Applied globally so every object, test and generated file is instrumented alike.
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
