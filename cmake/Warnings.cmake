# The one list of warnings for cloudlet's own code. Third-party headers come in
# as SYSTEM includes, so their warnings do not fail our build.
# -Wnull-dereference is left out: at -O2 GCC 12 reports false positives in
# libstdc++ code inlined from CLI11 and Boost, which no include flag can silence.
set(CLOUDLET_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Wunused -Woverloaded-virtual -Wconversion -Wsign-conversion
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough -Wmisleading-indentation)
if(CLOUDLET_WERROR)
  list(APPEND CLOUDLET_WARNINGS -Werror)
endif()

function(cloudlet_warnings target)
  target_compile_options(${target} PRIVATE ${CLOUDLET_WARNINGS})
endfunction()
