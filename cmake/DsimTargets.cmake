# SPDX-License-Identifier: Apache-2.0
# Flags every dsim target shares: warnings (as errors under DSIM_WERROR) and the sanitizers.

function(dsim_apply_flags target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion)
  if(DSIM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(DSIM_SANITIZE)
    # GCC 12's flow analysis reports spurious maybe-uninitialized warnings inside libstdc++ (std::regex,
    # std::function) once the sanitizers instrument the code; the Release build keeps the warning on.
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=all -Wno-maybe-uninitialized)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# dsim_library(name SOURCES ... LINKS ...): one static library per layer.
function(dsim_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINKS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_LINKS})
  dsim_apply_flags(${name})
endfunction()
